import NIOCore
import NIOPosix
import QuicFlowTime
import Synchronization

/// Races an operation against a timeout without waiting for a loser that
/// ignores cancellation: the caller resumes as soon as either side
/// finishes, and the other side is cancelled.
package enum Race {
    /// Runs `operation` in its own task; returns its result, or `nil` if
    /// `timeout` passes first (the operation is then cancelled).
    package static func withTimeout<T: Sendable>(
        _ timeout: Duration,
        _ operation: @escaping @Sendable () async -> T
    ) async -> T? {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let race = Outcome(continuation)
            // Unstructured by design: a task group would wait for a loser
            // that ignores cancellation, which is what this type avoids.
            let work = Task {
                race.finish(with: await operation())
            }
            // A NIO timer rather than a sleeping task: one per message sent
            // and per handler run, and a task with Task.sleep costs a task
            // start, a dispatch timer and their thread hand-offs.
            let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: TimeAmount(saturating: timeout)) {
                if race.finish(with: nil) {
                    work.cancel()
                }
            }
            race.onFinish { timer.cancel() }
        }
    }

    /// ``withTimeout(_:_:)`` with the timeout measured on `clock`: on the
    /// real clock NIO's timer, on an injected one a task sleeping on it.
    static func withTimeout<T: Sendable>(
        _ timeout: Duration, on clock: ElapsedClock, _ operation: @escaping @Sendable () async -> T
    ) async -> T? {
        if clock.isContinuous { return await withTimeout(timeout, operation) }
        return await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let race = Outcome(continuation)
            // Unstructured for the same reason as above.
            let work = Task { race.finish(with: await operation()) }
            let timer = Task {
                guard (try? await clock.sleep(for: timeout)) != nil else { return }
                if race.finish(with: nil) { work.cancel() }
            }
            race.onFinish { timer.cancel() }
        }
    }

    /// Resumes the continuation exactly once, whoever gets there first.
    private final class Outcome<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T?, Never>?
            var cleanup: (@Sendable () -> Void)?
        }

        private let state: Mutex<State>

        init(_ continuation: CheckedContinuation<T?, Never>) {
            state = Mutex(State(continuation: continuation, cleanup: nil))
        }

        /// Returns whether this call won the race.
        @discardableResult
        func finish(with value: T?) -> Bool {
            let (continuation, cleanup) = state.withLock { state in
                let taken = (state.continuation, state.cleanup)
                state.continuation = nil
                state.cleanup = nil
                return taken
            }
            guard let continuation else { return false }
            cleanup?()
            continuation.resume(returning: value)
            return true
        }

        /// Runs `cleanup` when the race ends (at once if it already has).
        func onFinish(_ cleanup: @escaping @Sendable () -> Void) {
            let finished = state.withLock { state in
                if state.continuation == nil { return true }
                state.cleanup = cleanup
                return false
            }
            if finished { cleanup() }
        }
    }
}
