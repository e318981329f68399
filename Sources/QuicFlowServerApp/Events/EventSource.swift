/// Where `GET /v1/events` listeners subscribe.
///
/// Contract (`EventStreamContractTests`): a listener resuming after an id
/// first gets the kept events after it, oldest first, or a gap that says
/// some are gone; then the live events.
protocol EventSource: Sendable {
    /// The events from now on; with `lastEventID`, first the kept ones after it.
    func subscribe(after lastEventID: UInt64?) async -> EventSubscription
    /// How many listeners are attached.
    var listenerCount: Int { get }
}
