#if canImport(Glibc)
package import Glibc
#elseif canImport(Musl)
package import Musl
#elseif canImport(Darwin)
package import Darwin
#endif
import Synchronization

/// The process group of one handler run (the handler starts a new session,
/// so the group's id is the handler's pid), and how far stopping it has gone.
///
/// The timeout can fire before the process has started; the signal it asked
/// for is then sent as soon as the pid is known.
package final class HandlerProcessGroup: Sendable {
    private enum Phase {
        case running
        case terminating
        case killing
    }

    private struct State {
        var leader: pid_t?
        var phase = Phase.running
        var timedOut = false
        var exitedAt: ContinuousClock.Instant?
        var record: HandlerGroupRecord?
    }

    private let state = Mutex(State())

    package init() {}

    /// Whether the run timed out (``terminateOnTimeout()`` was called).
    package var timedOut: Bool {
        state.withLock { $0.timedOut }
    }

    /// Records the started handler's pid and sends it any signal already due.
    package func attach(_ pid: pid_t) {
        let signal: Int32? = state.withLock { state in
            state.leader = pid
            switch state.phase {
            case .running: return nil
            case .terminating: return SIGTERM
            case .killing: return SIGKILL
            }
        }
        if let signal { _ = kill(-pid, signal) }
    }

    /// When the handler itself exited (its leftovers may still be being
    /// stopped); `nil` while it runs.
    package var exitedAt: ContinuousClock.Instant? {
        state.withLock { $0.exitedAt }
    }

    /// Notes that the handler has exited (it is not reaped yet).
    package func markExited() {
        state.withLock { state in
            if state.exitedAt == nil { state.exitedAt = ContinuousClock.now }
        }
    }

    /// What was written to the ``HandlerGroupJournal`` for this run, if anything.
    package var record: HandlerGroupRecord? {
        get { state.withLock { $0.record } }
        set { state.withLock { $0.record = newValue } }
    }

    /// Sends SIGTERM to the whole group (the handler and everything it
    /// started that stayed in its group), recording that the run timed out.
    /// Does nothing and returns `false` once the handler has exited: a
    /// deadline passing while its leftovers are being stopped is no timeout.
    @discardableResult
    package func terminateOnTimeout() -> Bool {
        let (due, leader) = state.withLock { state -> (Bool, pid_t?) in
            guard state.exitedAt == nil else { return (false, nil) }
            state.timedOut = true
            state.phase = .terminating
            return (true, state.leader)
        }
        if let leader { _ = kill(-leader, SIGTERM) }
        return due
    }

    /// Sends SIGKILL to the whole group.
    package func killAll() {
        let leader = state.withLock { state -> pid_t? in
            state.phase = .killing
            return state.leader
        }
        if let leader { _ = kill(-leader, SIGKILL) }
    }

    /// Whether any process of the group is left (zombies count: an orphan
    /// waiting for init to reap it still answers). `true` before the handler
    /// has started.
    package var isAlive: Bool {
        guard let leader = state.withLock({ $0.leader }) else { return true }
        // The group id stays reserved while any member exists, so it cannot
        // name someone else's group until this one is empty.
        return kill(-leader, 0) == 0 || errno == EPERM
    }

    /// After SIGTERM: waits up to `grace` for the group to empty,
    /// then SIGKILLs whatever is left. Cancellation skips the wait.
    package func killSurvivors(after grace: Duration) async {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: grace)
        while isAlive, clock.now < deadline {
            do {
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                break
            }
        }
        if isAlive { killAll() }
    }
}
