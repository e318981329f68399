import Foundation
import QuicFlow
import QuicFlowAgent

/// One line of `quicflow-agent outbox list --json`: a queued message, or
/// with `--history` an answered one. Counts are numbers, times RFC 3339.
struct OutboxListEntry: Encodable {
    var id: Int64?
    let msgID: String
    let type: String
    var state: String?
    var status: String?
    let attempts: Int
    var createdAt: Date?
    var deliveredAt: Date?
    var nextAttemptAt: Date?
    var lastError: String?
    var error: String?
    var payloadBytes: Int?

    enum CodingKeys: String, CodingKey {
        case id, type, state, status, attempts, error
        case msgID = "msg_id"
        case createdAt = "created_at"
        case deliveredAt = "delivered_at"
        case nextAttemptAt = "next_attempt_at"
        case lastError = "last_error"
        case payloadBytes = "payload_bytes"
    }

    /// A queued message.
    init(_ row: OutboxMessage) {
        id = row.id
        msgID = row.msgID
        type = row.type.rawValue
        state = row.state.rawValue
        attempts = row.attempts
        createdAt = Date(timeIntervalSince1970: Double(row.createdAt) / 1_000)
        nextAttemptAt = Date(timeIntervalSince1970: Double(row.nextAttemptAt) / 1_000)
        lastError = row.lastError
        payloadBytes = row.payload.count
    }

    /// An answered message.
    init(_ entry: OutboxHistoryEntry) {
        msgID = entry.msgID
        type = entry.type.rawValue
        status = entry.status.rawValue
        attempts = entry.attempts
        createdAt = Date(timeIntervalSince1970: Double(entry.createdAt) / 1_000)
        deliveredAt = Date(timeIntervalSince1970: Double(entry.deliveredAt) / 1_000)
        error = entry.error
    }
}
