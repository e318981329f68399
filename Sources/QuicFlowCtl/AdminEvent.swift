/// One server-sent event from `GET /v1/events`.
public struct AdminEvent: Sendable, Hashable {
    /// The SSE `id` (0 for the `subscribed` greeting).
    public let id: UInt64
    /// The event name: `subscribed`, `connect`, `disconnect`, `message`,
    /// `queued`, `delivered`, `expired` or `lagged`.
    public let event: String
    /// The event's JSON.
    public let data: String

    /// Creates an event.
    public init(id: UInt64, event: String, data: String) {
        self.id = id
        self.event = event
        self.data = data
    }
}
