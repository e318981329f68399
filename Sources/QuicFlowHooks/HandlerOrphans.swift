#if canImport(Glibc)
package import Glibc
#elseif canImport(Musl)
package import Musl
#elseif canImport(Darwin)
package import Darwin
#endif
package import Logging
import Synchronization

/// Handler descendants that left the handler's session (`setsid`, a
/// daemon's double fork) and so escape the group stop at the handler's end.
///
/// ``adopt()`` makes this process a child subreaper (Linux): a process whose
/// parent dies is then re-parented to it instead of to init, so everything
/// a handler leaves behind ends up as a direct child of the agent, where
/// ``sweep(grace:logger:)`` finds it (`/proc/PID/stat`, parent = this
/// process), ends it and reaps it by its pid.
///
/// ## Which children are a handler's
///
/// A child of the agent is one of:
/// 1. a handler, started by swift-subprocess (with `user`, util-linux's
///    `setpriv` switches accounts and then execs the handler: same pid, no
///    second process);
/// 2. an orphan re-parented to the agent because it is a subreaper: a
///    descendant of one of its children, so (by 1) of a handler;
/// 3. a process the agent's own parent left it: started before an exec
///    into the agent, as by `sh -c 'job & exec quicflow-agent run'`.
///
/// The agent starts nothing else: QuicFlow, QUICTransport (NIO, ngtcp2,
/// GnuTLS), GRDB and the agent's code fork no process, and Foundation's
/// `Process` is used only by tests and the benchmark. So only 1 and 3
/// must be told apart from 2, and a sweep ends a child only when:
/// - it is not a handler (its pid is not that of a run under way or of one
///   that ended during the sweep: swift-subprocess alone reaps those);
/// - it is not in the agent's session: a handler starts a session of its
///   own, and a process can leave a session only for a new one, never join
///   another, so no handler descendant is in the agent's session (which
///   leaves out most of 3);
/// - it was forked after the first handler run began (its start time in
///   `/proc` against a lower bound taken before each spawn; leaves out the
///   rest of 3 itself), and before every run still under way began (it may be
///   that run's own child, or its handler between fork and the moment its
///   pid is known; it is looked at again once that run ends);
/// - it was forked before any handler with `kill_leftovers = false` began:
///   descendants of such a handler are kept, and nothing tells which run a
///   re-parented process came from, so the first such run protects every
///   process forked after it for the life of the agent.
///
/// A zombie is reaped when it passes the first two tests and was forked
/// after the first run began, unless a run whose handler pid is not known
/// yet began before it; the last test does not apply to the dead. A child
/// that passes the tests cannot be reaped by anyone but this process, so
/// its pid cannot be reused while it is signalled.
///
/// What this cannot tell apart: an orphan of case 3 (a descendant of a
/// process the agent's parent left it) that left the agent's session after
/// the first handler run began. Under systemd, which execs the agent
/// directly, there is no case 3.
///
/// Without ``adopt()`` (tests, other programs using ``HandlerRunner``) a
/// sweep does nothing: a host process may have children of its own.
package final class HandlerOrphans: Sendable {
    /// The one per process: being a subreaper is a property of the process.
    package static let shared = HandlerOrphans()

    /// One handler run, from before its spawn to after its reaping.
    package struct Token: Sendable, Hashable {
        fileprivate let id: UInt64
    }

    private struct Run {
        /// At most the start time of the handler and all its descendants.
        var lowerBound: UInt64
        var leader: pid_t?
    }

    private struct State {
        var adopted = false
        var session: pid_t = 0
        var runs: [UInt64: Run] = [:]
        var nextID: UInt64 = 0
        var earliestRun: UInt64?
        var earliestKept: UInt64?
        var sweeping = false
        var sweepAgain = false
        var endedDuringSweep: Set<pid_t> = []
    }

    private let state = Mutex(State())

    package init() {}

    /// Whether ``adopt()`` succeeded.
    package var isAdopting: Bool {
        state.withLock { $0.adopted }
    }

    /// Makes this process a child subreaper (`PR_SET_CHILD_SUBREAPER`) and
    /// turns sweeps on. Linux only; returns whether it succeeded.
    @discardableResult
    package func adopt() -> Bool {
        #if os(Linux)
        // prctl is variadic, which Swift cannot call, so it is called
        // through a pointer of the fixed form its man page documents.
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        let setChildSubreaper: Int32 = 36  // PR_SET_CHILD_SUBREAPER, linux/prctl.h
        guard let symbol = dlsym(nil, "prctl") else { return false }
        let prctl = unsafeBitCast(symbol, to: Prctl.self)
        guard prctl(setChildSubreaper, 1, 0, 0, 0) == 0, ProcessTable.isAvailable else { return false }
        let session = getsid(0)
        state.withLock { state in
            state.adopted = true
            state.session = session
        }
        return true
        #else
        return false
        #endif
    }

    /// Registers a run about to spawn its handler.
    package func begin(killLeftovers: Bool) -> Token {
        // One tick of margin: the two clocks are read with different rounding.
        let now = ProcessTable.nowTicks().map { $0 > 0 ? $0 - 1 : 0 } ?? 0
        return state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            state.runs[id] = Run(lowerBound: now)
            state.earliestRun = min(state.earliestRun ?? now, now)
            if !killLeftovers {
                state.earliestKept = min(state.earliestKept ?? now, now)
            }
            return Token(id: id)
        }
    }

    /// Records the run's handler pid.
    package func attach(_ token: Token, leader: pid_t) {
        state.withLock { $0.runs[token.id]?.leader = leader }
    }

    /// The run is over: its handler has been reaped.
    package func end(_ token: Token) {
        state.withLock { state in
            if let leader = state.runs.removeValue(forKey: token.id)?.leader, state.sweeping {
                state.endedDuringSweep.insert(leader)
            }
        }
    }

    /// Ends (SIGTERM, SIGKILL after `grace`) and reaps the adopted orphans
    /// that can only come from handlers whose leftovers are to be killed,
    /// and reaps adopted zombies. Does nothing unless ``adopt()`` succeeded.
    /// A sweep asked for while one runs makes that one look again instead.
    package func sweep(grace: Duration, logger: Logger) async {
        let start = state.withLock { state -> Bool in
            guard state.adopted else { return false }
            if state.sweeping {
                state.sweepAgain = true
                return false
            }
            state.sweeping = true
            return true
        }
        guard start else { return }
        var ended = 0
        var passes = 0
        while true {
            let (found, killed) = await pass(grace: grace)
            ended += killed
            passes += 1
            // What was ended may leave children of its own to this process.
            let again = state.withLock { state -> Bool in
                let again = state.sweepAgain || (found && passes < 5)
                state.sweepAgain = false
                if !again { state.sweeping = false }
                return again
            }
            if !again { break }
        }
        if ended > 0 {
            logger.notice(
                "ended \(HandlerLeftovers.count(ended)) that handlers had moved out of their process groups",
                metadata: ["count": "\(ended)"])
        }
    }

    /// Sweeps every `interval` until the task is cancelled: orphans that
    /// end on their own are reaped, and processes re-parented after their
    /// handler's own sweep are ended.
    package func sweep(every interval: Duration, grace: Duration, logger: Logger) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            await sweep(grace: grace, logger: logger)
        }
    }

    /// One look at this process's children. Returns whether it reaped or
    /// signalled anything, and how many processes it ended.
    private func pass(grace: Duration) async -> (found: Bool, ended: Int) {
        state.withLock { $0.endedDuringSweep = [] }
        // The table first, the runs after: a run that spawned a process seen
        // here registered before the spawn, so it is in the snapshot.
        let table = ProcessTable.all()
        let snapshot = state.withLock { state in
            (
                session: state.session,
                handlers: Set(state.runs.values.compactMap(\.leader)).union(state.endedDuringSweep),
                running: state.runs.values.map(\.lowerBound).min(),
                pending: state.runs.values.filter { $0.leader == nil }.map(\.lowerBound).min(),
                earliest: state.earliestRun,
                kept: state.earliestKept
            )
        }
        guard let earliest = snapshot.earliest else { return (false, 0) }
        let me = getpid()
        var found = false
        var targets: [ProcessTable.Entry] = []
        for entry in table
        where entry.parent == me && entry.session != snapshot.session && !snapshot.handlers.contains(entry.pid)
            && entry.startTicks >= earliest
        {
            if entry.isZombie {
                // A zombie of a run still under way is harmless to reap,
                // unless it may be a handler whose pid is not known yet.
                if let pending = snapshot.pending, entry.startTicks >= pending { continue }
                HandlerLeftovers.reap(entry.pid)
                found = true
            } else if snapshot.running.map({ entry.startTicks < $0 }) ?? true,
                snapshot.kept.map({ entry.startTicks < $0 }) ?? true
            {
                targets.append(entry)
                found = true
            }
        }
        guard !targets.isEmpty else { return (found, 0) }
        let clock = ContinuousClock()
        var left = targets
        for signal in [SIGTERM, SIGKILL] {
            for entry in left {
                // An unreaped child holds its pid, and so the group it leads.
                let target = entry.group == entry.pid ? -entry.pid : entry.pid
                _ = kill(target, signal)
                // A stopped process acts on SIGTERM only once continued.
                if signal == SIGTERM { _ = kill(target, SIGCONT) }
            }
            let deadline = clock.now.advanced(by: grace)
            var delay: Duration = .milliseconds(1)
            while true {
                left.removeAll { HandlerLeftovers.reap($0.pid) }
                if left.isEmpty || clock.now >= deadline { break }
                await HandlerLeftovers.pause(delay)
                delay = min(delay * 2, HandlerLeftovers.pollInterval)
            }
            if left.isEmpty { break }
        }
        return (found, targets.count - left.count)
    }
}
