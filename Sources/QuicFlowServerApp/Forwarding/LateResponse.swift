import Foundation

/// The payload of a RESPONSE message that carries a handler's result whose
/// ACK was lost: `{"in_reply_to", "status", "result_base64", "error"}`.
struct LateResponse: Decodable, Sendable {
    let inReplyTo: String
    /// `SUCCESS`, `FAILURE` or `TIMEOUT`.
    let status: String
    let resultBase64: String?
    let error: String?

    enum CodingKeys: String, CodingKey {
        case inReplyTo = "in_reply_to"
        case status, error
        case resultBase64 = "result_base64"
    }

    /// The payload parsed, or `nil` when it is not such a JSON object.
    init?(payload: [UInt8]) {
        guard let parsed = try? JSONDecoder().decode(Self.self, from: Data(payload)), !parsed.inReplyTo.isEmpty else {
            return nil
        }
        self = parsed
    }

    /// The result bytes (empty when absent or not base64).
    var result: Data {
        resultBase64.flatMap { Data(base64Encoded: $0) } ?? Data()
    }
}
