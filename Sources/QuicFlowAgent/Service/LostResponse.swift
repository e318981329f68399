import Foundation
import QuicFlow

/// A handler result whose ACK could not be returned, queued as a RESPONSE
/// message (issue: `{"in_reply_to", "status", "result_base64", "error"}`).
struct LostResponse: Encodable {
    let inReplyTo: String
    let status: String
    let resultBase64: String
    let error: String

    enum CodingKeys: String, CodingKey {
        case inReplyTo = "in_reply_to"
        case status
        case resultBase64 = "result_base64"
        case error
    }

    init(message: IncomingMessage, response: Response) {
        inReplyTo = message.msgID
        status = response.status.rawValue.uppercased()
        resultBase64 = Data(response.result).base64EncodedString()
        error = response.error
    }

    func payload() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return [UInt8]((try? encoder.encode(self)) ?? Data())
    }
}
