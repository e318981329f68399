import Foundation
import Hummingbird
import QuicFlowJSON

/// A message's state, as `GET /v1/messages/{msg_id}` shows it.
struct MessageView: ResponseEncodable, Decodable, Sendable {
    let msgID: String
    let clientID: String
    let type: String
    /// `queued`, `sent`, `delivered` or `expired`.
    let state: String
    /// `success`, `failure` or `timeout` once acknowledged; empty before.
    let status: String
    let result: String
    let resultBase64: String
    let error: String
    /// Whether the result came from a late RESPONSE message.
    let late: Bool
    /// RFC 3339 with milliseconds (``JSONTime``).
    let createdAt: String
    let updatedAt: String
    /// RFC 3339; absent for messages that were never queued.
    let expiresAt: String?

    enum CodingKeys: String, CodingKey {
        case type, state, status, result, error, late
        case msgID = "msg_id"
        case clientID = "client_id"
        case resultBase64 = "result_base64"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case expiresAt = "expires_at"
    }

    init(_ record: StoredMessage) {
        msgID = record.msgID
        clientID = record.clientID
        type = record.type
        state = record.state.rawValue
        status = record.status ?? ""
        result = String(decoding: record.result ?? Data(), as: UTF8.self)
        resultBase64 = (record.result ?? Data()).base64EncodedString()
        error = record.error ?? ""
        late = record.late
        createdAt = JSONTime.string(unixMillis: Int64(record.createdAt * 1_000))
        updatedAt = JSONTime.string(unixMillis: Int64(record.updatedAt * 1_000))
        expiresAt = record.expiresAt.map { JSONTime.string(unixMillis: Int64($0 * 1_000)) }
    }
}
