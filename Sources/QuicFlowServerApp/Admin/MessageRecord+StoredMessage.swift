import Foundation
import QuicFlowAdminModel
import QuicFlow
import QuicFlowJSON

extension MessageRecord {
    /// The admin API's view of a stored message.
    init(_ record: StoredMessage) {
        self.init(
            msgID: record.msgID, clientID: record.clientID, type: record.type, state: record.state.rawValue,
            status: record.status ?? "", result: String(decoding: record.result ?? Data(), as: UTF8.self),
            resultBase64: (record.result ?? Data()).base64EncodedString(), error: record.error ?? "", late: record.late,
            createdAt: JSONTime.string(unixMillis: Int64(record.createdAt * 1_000)),
            updatedAt: JSONTime.string(unixMillis: Int64(record.updatedAt * 1_000)),
            expiresAt: record.expiresAt.map { JSONTime.string(unixMillis: Int64($0 * 1_000)) })
    }
}
