import QuicFlowTime
import Synchronization

/// Wakes one waiting loop: ``signal()`` from anywhere, ``wait(timeout:)``
/// in the loop. A signal given while nobody waits is kept (once) for the
/// next wait.
///
/// Not an `AsyncStream`: each `for await` over a stream makes an iterator,
/// and dropping it (as a wait with a timeout does) ends the stream for
/// good, after which every wait returned at once and the delivery loop
/// spun at 100% CPU while idle.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    /// The clock of the backstop timeout.
    private let clock: ElapsedClock

    /// A signal whose waits time out on `clock`.
    init(clock: ElapsedClock = .continuous) {
        self.clock = clock
    }

    /// Wakes the waiter, or the next wait if nobody waits now.
    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns after a signal, or after `timeout` as a backstop. One waiter
    /// at a time.
    func wait(timeout: Duration) async {
        let alreadySignalled = state.withLock { state in
            defer { state.pending = false }
            return state.pending
        }
        if alreadySignalled { return }
        // The backstop: at worst it leaves one extra signal for the next wait.
        // Unstructured: the wait below is a continuation, not a task group;
        // the timer is cancelled on the way out.
        let timer = Task { [weak self, clock] in
            try? await clock.sleep(for: timeout)
            if !Task.isCancelled { self?.signal() }
        }
        defer { timer.cancel() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state in
                if state.pending {
                    state.pending = false
                    return true
                }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
