public import Foundation

/// A handler's answer whose ACK could not be returned (the stream or the
/// connection was gone), sent again later as the payload of a RESPONSE
/// message: `{"in_reply_to", "status", "result_base64", "error"}`.
///
/// The agent writes it; the server reads it and records the result on the
/// message it answers. One shape for both sides.
public struct LateResponse: Codable, Sendable, Hashable {
    /// The msg_id of the message this answers.
    public var inReplyTo: String
    /// `SUCCESS`, `FAILURE` or `TIMEOUT`.
    public var status: String
    /// The result's bytes, base64.
    public var resultBase64: String?
    /// The handler's error text.
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case inReplyTo = "in_reply_to"
        case status, error
        case resultBase64 = "result_base64"
    }

    /// The answer `response` to `message`.
    public init(message: IncomingMessage, response: Response) {
        inReplyTo = message.msgID
        status = response.status.rawValue.uppercased()
        resultBase64 = Data(response.result).base64EncodedString()
        error = response.error
    }

    /// The payload parsed, or `nil` when it is not such a JSON object.
    public init?(payload: [UInt8]) {
        guard let parsed = try? JSONDecoder().decode(Self.self, from: Data(payload)), !parsed.inReplyTo.isEmpty else {
            return nil
        }
        self = parsed
    }

    /// The JSON payload, keys sorted.
    public func payload() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return [UInt8]((try? encoder.encode(self)) ?? Data())
    }

    /// The result bytes (empty when absent or not base64).
    public var result: Data {
        resultBase64.flatMap { Data(base64Encoded: $0) } ?? Data()
    }
}
