#if canImport(Glibc)
package import Glibc
#elseif canImport(Musl)
package import Musl
#elseif canImport(Darwin)
package import Darwin
#endif

/// Ends what a handler leaves behind: the processes still in its process
/// group (or session) once it has exited.
package enum HandlerLeftovers {
    /// How often a stop in progress looks again.
    package static let pollInterval: Duration = .milliseconds(20)

    /// Ends every live process of the group and the session that `leader`
    /// leads, leader included if it still runs: SIGTERM, and SIGKILL for
    /// what is left after `grace`. Zombies of those processes that are this
    /// process's children (orphans it adopted as a subreaper) are reaped on
    /// the way, each by its own pid. Returns how many processes it ended.
    ///
    /// ## Why this cannot hit an unrelated group
    ///
    /// The group's and the session's id is `leader`'s pid. The kernel never
    /// gives out a pid, as a process, group or session id, while any process
    /// still uses it as one of those (a zombie counts). A handler run calls
    /// this while the handler is an exited but unreaped child of the agent
    /// (swift-subprocess reaps it only after the run's body returns), so the
    /// zombie holds `leader` for the whole stop: every process found or
    /// signalled here is the handler's. At a restart (the leader is not this
    /// process's child) the caller first checks that the leader is the
    /// recorded process (same start time in this boot); from there on the
    /// same rule holds while the leader or any member is left, and once they
    /// are all gone the pid could only come back after the kernel's pid
    /// counter went all the way round (pid_max forks) within one poll.
    ///
    /// Only with `/proc` (Linux). Elsewhere the group just gets SIGTERM and
    /// nothing is counted.
    package static func endGroup(_ leader: pid_t, grace: Duration) async -> Int {
        guard ProcessTable.isAvailable else {
            _ = kill(-leader, SIGTERM)
            return 0
        }
        var ended = Set<pid_t>()
        var live = liveMembers(of: leader)
        guard !live.isEmpty else { return 0 }
        let clock = ContinuousClock()
        for signal in [SIGTERM, SIGKILL] {
            ended.formUnion(live.map(\.pid))
            send(signal, to: live, leader: leader)
            let deadline = clock.now.advanced(by: grace)
            var delay: Duration = .milliseconds(1)
            while !live.isEmpty, clock.now < deadline {
                // Most processes die within a millisecond of SIGTERM.
                await pause(delay)
                delay = min(delay * 2, pollInterval)
                live = liveMembers(of: leader)
                ended.formUnion(live.map(\.pid))
            }
            if live.isEmpty { break }
        }
        return ended.count
    }

    /// The live processes of the group or session `leader` leads. Zombies
    /// among them that are this process's children are reaped first.
    package static func liveMembers(of leader: pid_t) -> [ProcessTable.Entry] {
        let me = getpid()
        var live: [ProcessTable.Entry] = []
        for entry in ProcessTable.all() where entry.group == leader || entry.session == leader {
            if entry.isZombie {
                // Never the leader itself: it is swift-subprocess's to reap
                // (or, at a restart, not ours at all).
                if entry.parent == me && entry.pid != leader { reap(entry.pid) }
            } else {
                live.append(entry)
            }
        }
        return live
    }

    /// The whole group gets `signal`; members that moved to another group of
    /// the session get it one by one. SIGTERM is followed by SIGCONT, so that
    /// a stopped process gets to act on it.
    private static func send(_ signal: Int32, to live: [ProcessTable.Entry], leader: pid_t) {
        for signal in signal == SIGTERM ? [SIGTERM, SIGCONT] : [signal] {
            _ = kill(-leader, signal)
            for entry in live where entry.group != leader {
                _ = kill(entry.pid, signal)
            }
        }
    }

    /// Reaps this process's exited child `pid`, if it has exited; returns
    /// whether it is gone (reaped now, or not a child any more). Only ever
    /// by pid: swift-subprocess reaps its own children (the handlers), so a
    /// waitpid(-1) here could take one of them from it.
    @discardableResult
    package static func reap(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == -1 && errno == EINTR { continue }
            return result == pid || (result == -1 && errno == ECHILD)
        }
    }

    /// Waits until the child `pid` has exited, without reaping it, so that
    /// its pid (the group's id) stays reserved until the caller is done.
    package static func waitForExit(ofChild pid: pid_t) async {
        var delay: Duration = .milliseconds(2)
        while true {
            var info = siginfo_t()
            let result = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
            if result == -1 && errno == EINTR { continue }
            // With WNOHANG, si_signo stays 0 while the child runs. An error
            // (no such child) cannot be waited for any longer either.
            if result == -1 || info.si_signo != 0 { return }
            await pause(delay)
            delay = min(delay * 2, .milliseconds(100))
        }
    }

    /// "1 process", "2 processes".
    package static func count(_ processes: Int) -> String {
        processes == 1 ? "1 process" : "\(processes) processes"
    }

    /// Sleeps `duration` even in a cancelled task: a stop under way must get
    /// its grace period whatever happens to the caller.
    package static func pause(_ duration: Duration = pollInterval) async {
        if Task.isCancelled {
            await Task { try? await Task.sleep(for: duration) }.value
        } else {
            try? await Task.sleep(for: duration)
        }
    }
}
