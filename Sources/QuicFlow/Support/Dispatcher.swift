internal import NIOCore
import QuicFlowTime

/// Runs message handlers on a fixed number of workers behind a bounded
/// queue. A full queue answers FAILURE "busy" at once, so a flood of
/// messages never blocks the connection that carries them; a handler that
/// overruns its timeout yields TIMEOUT and frees its worker at once (its
/// task is cancelled and left to end on its own).
actor Dispatcher {
    private let workers: Int
    private let queueSize: Int
    private let handlerTimeout: Duration
    /// The clock of handler timeouts.
    private let clock: ElapsedClock
    private var running = 0
    private var waiting = CircularBuffer<CheckedContinuation<Void, Never>>()
    /// Messages answered "busy" because every worker and queue slot was taken.
    private(set) var busyRefusals = 0

    init(workers: Int, queueSize: Int, handlerTimeout: Duration, clock: ElapsedClock = .continuous) {
        self.workers = workers
        self.queueSize = queueSize
        self.handlerTimeout = handlerTimeout
        self.clock = clock
    }

    /// Handles `message` with `handler` and returns the acknowledgement;
    /// `onBusy` gets the message when it is refused because everything is taken.
    func dispatch(
        _ message: IncomingMessage, to handler: any MessageHandler,
        onBusy: (@Sendable (IncomingMessage) -> Void)? = nil
    ) async -> Response {
        if running < workers {
            running += 1
        } else if waiting.count < queueSize {
            // The releasing worker hands its slot over directly.
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busyRefusals += 1
            onBusy?(message)
            return .failure("busy: \(workers) handlers running and \(queueSize) messages queued; retry later")
        }
        let timeout = handlerTimeout
        let response = await Race.withTimeout(timeout, on: clock) {
            do {
                return try await handler.handle(message)
            } catch {
                return .failure(String(describing: error))
            }
        }
        release()
        return response ?? .timeout("the \(message.type) handler did not finish within \(timeout)")
    }

    private func release() {
        if let next = waiting.popFirst() {
            next.resume()
        } else {
            running -= 1
        }
    }

    /// Handlers running now and messages waiting, for metrics and tests.
    var load: (running: Int, queued: Int) { (running, waiting.count) }
}
