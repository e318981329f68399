/// A message's state, as `GET /v1/messages/{msg_id}` shows it.
public struct MessageRecord: Codable, Sendable, Hashable {
    /// The message's id.
    public var msgID: String
    /// The device it is for.
    public var clientID: String
    /// `command`, `query`, `event` or `response`.
    public var type: String
    /// `queued`, `sent`, `delivered` or `expired`.
    public var state: String
    /// `success`, `failure` or `timeout` once acknowledged; empty before.
    public var status: String
    /// The result as UTF-8 text (invalid sequences replaced).
    public var result: String
    /// The result's exact bytes, base64.
    public var resultBase64: String
    /// The device's error text.
    public var error: String
    /// Whether the result came from a late RESPONSE message.
    public var late: Bool
    /// RFC 3339 with milliseconds.
    public var createdAt: String
    /// RFC 3339 with milliseconds.
    public var updatedAt: String
    /// RFC 3339 with milliseconds; absent for messages that were never queued.
    public var expiresAt: String?

    enum CodingKeys: String, CodingKey {
        case type, state, status, result, error, late
        case msgID = "msg_id"
        case clientID = "client_id"
        case resultBase64 = "result_base64"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case expiresAt = "expires_at"
    }

    /// Creates a record.
    public init(
        msgID: String, clientID: String, type: String, state: String, status: String, result: String,
        resultBase64: String, error: String, late: Bool, createdAt: String, updatedAt: String, expiresAt: String?
    ) {
        self.msgID = msgID
        self.clientID = clientID
        self.type = type
        self.state = state
        self.status = status
        self.result = result
        self.resultBase64 = resultBase64
        self.error = error
        self.late = late
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.expiresAt = expiresAt
    }
}
