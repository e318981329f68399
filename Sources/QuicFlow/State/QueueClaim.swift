/// What ``MessageRepository/claimNext(for:margin:)`` found at the head of a
/// device's queue.
public enum QueueClaim: Sendable, Equatable {
    /// The oldest queued message, now this holder's to deliver until its
    /// claim ends (its ACK timeout plus the margin).
    case claimed(StoredMessage)
    /// Another holder (a live node of the cluster) is delivering the oldest
    /// message; the ones behind it wait, to keep the order.
    case heldElsewhere
    /// Nothing is queued for the device.
    case empty
}
