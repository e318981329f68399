/// How many messages the ``Outbox`` holds in each state.
public struct OutboxCounts: Sendable, Hashable, CustomStringConvertible {
    /// Waiting to be sent.
    public var pending: Int
    /// Being sent now.
    public var inFlight: Int
    /// Given up on; kept until retried or purged.
    public var dead: Int

    /// Creates counts.
    public init(pending: Int = 0, inFlight: Int = 0, dead: Int = 0) {
        self.pending = pending
        self.inFlight = inFlight
        self.dead = dead
    }

    /// Every row, which is what `max_messages` limits.
    public var total: Int { pending + inFlight + dead }

    /// `N pending, N in flight, N dead`.
    public var description: String { "\(pending) pending, \(inFlight) in flight, \(dead) dead" }
}
