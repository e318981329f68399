public import QuicFlow

/// A message that left the ``Outbox``: sent, and answered (or sent without
/// waiting for an answer).
public struct OutboxHistoryEntry: Sendable, Hashable {
    /// The message's wire id.
    public let msgID: String
    /// What the message was for.
    public let type: MessageType
    /// How the receiver's handling ended.
    public let status: Response.Status
    /// The receiver's error text for failures and timeouts; empty on success.
    public let error: String
    /// How many attempts delivery took.
    public let attempts: Int
    /// When it was enqueued, in Unix milliseconds.
    public let createdAt: Int64
    /// When its answer was recorded, in Unix milliseconds.
    public let deliveredAt: Int64
    /// The receiver's result bytes (empty for none).
    public let result: [UInt8]

    /// Creates an entry (for tests of status output).
    public init(
        msgID: String,
        type: MessageType,
        status: Response.Status,
        error: String,
        attempts: Int,
        createdAt: Int64,
        deliveredAt: Int64,
        result: [UInt8] = []
    ) {
        self.msgID = msgID
        self.type = type
        self.status = status
        self.error = error
        self.attempts = attempts
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
        self.result = result
    }
}
