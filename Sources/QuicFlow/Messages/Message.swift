/// A message to send: its type, payload and whether to wait for the
/// receiver's acknowledgement (and result).
public struct Message: Sendable, Hashable {
    /// What the message is for.
    public var type: MessageType
    /// Opaque bytes; QuicFlow never looks inside.
    public var payload: [UInt8]
    /// Wait for the receiver's ACK, which carries its handler's result.
    public var waitAck: Bool
    /// How long to wait for the ACK; `nil` uses the configured default.
    public var timeout: Duration?
    /// The msg_id to send; `nil` makes a fresh one. A sender that retries
    /// (the agent's outbox) reuses its id so the receiver's de-duplication
    /// window recognises the retry.
    public var msgID: String?

    /// Creates a message.
    public init(type: MessageType, payload: [UInt8], waitAck: Bool = false, timeout: Duration? = nil) {
        self.type = type
        self.payload = payload
        self.waitAck = waitAck
        self.timeout = timeout
    }

    /// Creates a message with a UTF-8 text payload.
    public init(type: MessageType, text: String, waitAck: Bool = false, timeout: Duration? = nil) {
        self.init(type: type, payload: Array(text.utf8), waitAck: waitAck, timeout: timeout)
    }
}
