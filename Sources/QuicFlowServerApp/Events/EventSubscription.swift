/// What a listener gets when it subscribes to an ``EventSource``.
struct EventSubscription: Sendable {
    /// Kept events after the listener's `Last-Event-ID`, oldest first.
    let replay: [NumberedEvent]
    /// Why events the listener asked for cannot be replayed; `nil` when none were lost.
    let gap: String?
    /// The events from now on.
    let live: AsyncStream<NumberedEvent>
    /// Live events with ids up to this one were replayed or seen already
    /// (a cluster node's live stream may lag behind its table); skip them.
    var liveAfter: UInt64 = 0
}
