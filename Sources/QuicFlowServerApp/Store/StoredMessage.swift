import Foundation
import GRDB

/// One row of the server's message store: a message the admin API took,
/// with its state and, once known, its outcome.
struct StoredMessage: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "messages"

    var msgID: String
    var clientID: String
    /// `MessageType` raw value.
    var type: String
    var payload: Data
    var timeoutMilliseconds: Int
    var state: MessageState
    /// Unix seconds.
    var createdAt: Double
    /// Unix seconds after which a queued message expires; `nil` for messages
    /// that were never queued.
    var expiresAt: Double?
    var updatedAt: Double
    /// `SUCCESS`, `FAILURE` or `TIMEOUT` once acknowledged.
    var status: String?
    var result: Data?
    var error: String?
    /// Whether the outcome came from a late RESPONSE message.
    var late: Bool

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case msgID = "msg_id"
        case clientID = "client_id"
        case type, payload, state, status, result, error, late
        case timeoutMilliseconds = "timeout_ms"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case updatedAt = "updated_at"
    }
}
