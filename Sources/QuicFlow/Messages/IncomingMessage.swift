/// A message as a handler receives it.
public struct IncomingMessage: Sendable, Hashable {
    /// The sender's unique id for this message (repeats on retries).
    public let msgID: String
    /// The sending client's id, or the server's id for server messages.
    public let senderID: String
    /// What the message is for.
    public let type: MessageType
    /// The bytes the sender attached.
    public let payload: [UInt8]
    /// When the sender created it, in Unix milliseconds.
    public let timestamp: Int64
    /// Whether a previous run of the server began handling this message and
    /// stopped before answering it (a crash): it may have been seen before.
    public var redelivered = false

    /// Creates an incoming message (for tests of handlers).
    public init(msgID: String, senderID: String, type: MessageType, payload: [UInt8], timestamp: Int64) {
        self.msgID = msgID
        self.senderID = senderID
        self.type = type
        self.payload = payload
        self.timestamp = timestamp
    }

    /// The payload decoded as UTF-8.
    public var text: String { String(decoding: payload, as: UTF8.self) }
}
