public import Foundation

/// A message the server took for a device (the admin API's unicasts), with
/// its state and, once known, its outcome: one entry of a ``MessageRepository``.
public struct StoredMessage: Codable, Sendable, Hashable {
    /// Its id, unique in the repository.
    public var msgID: String
    /// The device it is for.
    public var clientID: String
    /// `MessageType` raw value.
    public var type: String
    /// The payload's bytes.
    public var payload: Data
    /// How long the device's ACK is awaited.
    public var timeoutMilliseconds: Int
    /// Where it is.
    public var state: MessageState
    /// Unix seconds.
    public var createdAt: Double
    /// Unix seconds after which a queued message expires; `nil` for messages
    /// that were never queued.
    public var expiresAt: Double?
    /// Unix seconds of the last change.
    public var updatedAt: Double
    /// `success`, `failure` or `timeout` once acknowledged.
    public var status: String?
    /// The result's bytes, once acknowledged.
    public var result: Data?
    /// The device's error text.
    public var error: String?
    /// Whether the outcome came from a late RESPONSE message.
    public var late: Bool

    /// The column names, shared by every implementation.
    public enum CodingKeys: String, CodingKey {
        case msgID = "msg_id"
        case clientID = "client_id"
        case type, payload, state, status, result, error, late
        case timeoutMilliseconds = "timeout_ms"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case updatedAt = "updated_at"
    }

    /// Creates a message entry.
    public init(
        msgID: String, clientID: String, type: String, payload: Data, timeoutMilliseconds: Int, state: MessageState,
        createdAt: Double, expiresAt: Double?, updatedAt: Double, status: String? = nil, result: Data? = nil,
        error: String? = nil, late: Bool = false
    ) {
        self.msgID = msgID
        self.clientID = clientID
        self.type = type
        self.payload = payload
        self.timeoutMilliseconds = timeoutMilliseconds
        self.state = state
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.updatedAt = updatedAt
        self.status = status
        self.result = result
        self.error = error
        self.late = late
    }
}
