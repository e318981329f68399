import Synchronization

/// Hands every ``ServerEvent`` to each `GET /v1/events` listener.
///
/// Each listener has a bounded buffer: one that stops reading misses the
/// events that come while its buffer is full (rather than costing the
/// server its memory), and once it catches up it gets a `lagged` event
/// saying how many it missed.
final class EventHub: Sendable {
    /// Events a listener may fall behind by.
    static let bufferSize = 10_000

    private struct Listener {
        var continuation: AsyncStream<NumberedEvent>.Continuation
        var dropped = 0
    }

    /// An event with its position in the server's stream (the SSE `id`).
    struct NumberedEvent: Sendable {
        let id: UInt64
        let event: ServerEvent
    }

    private struct State {
        var listeners: [UInt64: Listener] = [:]
        var nextListener: UInt64 = 0
        var nextEvent: UInt64 = 1
    }

    private let state = Mutex(State())

    /// A stream of the events from now on; it ends when the listener stops
    /// iterating or ``finish()`` is called.
    func subscribe() -> AsyncStream<NumberedEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: NumberedEvent.self, bufferingPolicy: .bufferingOldest(Self.bufferSize))
        let key = state.withLock { state in
            let key = state.nextListener
            state.nextListener += 1
            state.listeners[key] = Listener(continuation: continuation)
            return key
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.listeners.removeValue(forKey: key) }
        }
        return stream
    }

    /// How many listeners are attached.
    var listenerCount: Int { state.withLock { $0.listeners.count } }

    /// Sends `event` to every listener.
    func publish(_ event: ServerEvent) {
        state.withLock { state in
            let id = state.nextEvent
            state.nextEvent += 1
            for key in state.listeners.keys {
                guard var listener = state.listeners[key] else { continue }
                if listener.dropped > 0 {
                    var lagged = ServerEvent("lagged")
                    lagged.error = "this listener fell \(listener.dropped) events behind; they were dropped"
                    if case .enqueued = listener.continuation.yield(NumberedEvent(id: id, event: lagged)) {
                        listener.dropped = 0
                    }
                }
                if case .dropped = listener.continuation.yield(NumberedEvent(id: id, event: event)) {
                    listener.dropped += 1
                }
                state.listeners[key] = listener
            }
        }
    }

    /// Ends every listener's stream (graceful shutdown).
    func finish() {
        let listeners = state.withLock { state in
            defer { state.listeners.removeAll() }
            return Array(state.listeners.values)
        }
        for listener in listeners { listener.continuation.finish() }
    }
}
