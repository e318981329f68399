/// Where one message stands in the ``Outbox``, found by its wire id.
public enum OutboxLookup: Sendable, Hashable {
    /// Still in the outbox: pending, in flight or dead.
    case queued(OutboxMessage)
    /// Delivered, with the server's answer.
    case answered(OutboxHistoryEntry)
    /// Not here: never enqueued in this outbox, purged, or trimmed from the
    /// history.
    case unknown
}
