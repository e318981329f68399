import Foundation
import Synchronization

/// Hands every ``ServerEvent`` to each `GET /v1/events` listener, and keeps
/// the most recent ones so that a listener that reconnects with
/// `Last-Event-ID` misses nothing the server still holds.
///
/// Each listener has a bounded buffer: one that stops reading misses the
/// events that come while its buffer is full (rather than costing the
/// server its memory), and once it catches up it gets a `lagged` event
/// saying how many it missed.
///
/// Event ids start at the server's start time in milliseconds × 1,000, so
/// they grow across restarts too: an id from a previous run is older than
/// every id of this one, and is answered with a `gap` event rather than
/// with another run's events.
final class EventHub: EventSink, EventSource {
    /// Events a listener may fall behind by.
    static let bufferSize = 10_000
    /// Recent events kept for listeners that resume.
    static let replayCapacity = 1_000

    private struct Listener {
        var continuation: AsyncStream<NumberedEvent>.Continuation
        var dropped = 0
    }

    private struct State {
        var listeners: [UInt64: Listener] = [:]
        var nextListener: UInt64 = 0
        let firstEvent: UInt64
        var nextEvent: UInt64
        /// The newest events, oldest first, at most ``replayCapacity``.
        var recent: [NumberedEvent] = []
        var recentStart = 0
    }

    private let state: Mutex<State>

    /// A hub whose first event id is `firstEventID` (by default the start
    /// time in milliseconds × 1,000).
    init(firstEventID: UInt64 = UInt64(Date().timeIntervalSince1970 * 1_000) * 1_000) {
        state = Mutex(State(firstEvent: firstEventID, nextEvent: firstEventID))
    }

    /// The events from now on; with `lastEventID` (a resuming listener),
    /// first the kept events after it, or a ``EventSubscription/gap`` saying
    /// plainly that some are gone. The live stream ends when the listener
    /// stops iterating or ``finish()`` is called.
    func subscribe(after lastEventID: UInt64?) -> EventSubscription {
        let (stream, continuation) = AsyncStream.makeStream(
            of: NumberedEvent.self, bufferingPolicy: .bufferingOldest(Self.bufferSize))
        let (key, replay, gap) = state.withLock { state in
            let key = state.nextListener
            state.nextListener += 1
            state.listeners[key] = Listener(continuation: continuation)
            // Taken under the same lock as the registration: nothing is
            // replayed twice or falls between replay and live.
            guard let lastEventID else { return (key, [NumberedEvent](), String?.none) }
            let kept = Array(state.recent[state.recentStart...] + state.recent[..<state.recentStart])
            let oldest = kept.first?.id ?? state.nextEvent
            if lastEventID < state.firstEvent {
                return (key, kept, "the server restarted since event \(lastEventID); the events in between were not kept")
            }
            if lastEventID >= state.nextEvent {
                return (key, kept, "event \(lastEventID) is not one of this server's; events may have been missed")
            }
            if lastEventID + 1 < oldest {
                return (key, kept, "\(oldest - lastEventID - 1) events after \(lastEventID) are older than the \(Self.replayCapacity) this server keeps; they were dropped")
            }
            return (key, kept.filter { $0.id > lastEventID }, String?.none)
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.listeners.removeValue(forKey: key) }
        }
        return EventSubscription(replay: replay, gap: gap, live: stream)
    }

    /// How many listeners are attached.
    var listenerCount: Int { state.withLock { $0.listeners.count } }

    /// Sends `event` to every listener.
    func publish(_ event: ServerEvent) {
        publish(event, id: nil)
    }

    /// Sends `event` to every listener under the id it has in the
    /// cluster's table (``ClusterEventStream``); ids must grow.
    func publish(_ event: ServerEvent, id given: UInt64) {
        publish(event, id: Optional(given))
    }

    private func publish(_ event: ServerEvent, id given: UInt64?) {
        state.withLock { state in
            if let given { state.nextEvent = max(state.nextEvent, given) }
            let id = state.nextEvent
            state.nextEvent += 1
            let numbered = NumberedEvent(id: id, event: event)
            if state.recent.count < Self.replayCapacity {
                state.recent.append(numbered)
            } else {
                state.recent[state.recentStart] = numbered
                state.recentStart = (state.recentStart + 1) % Self.replayCapacity
            }
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
