import Foundation

/// The answer of `POST /v1/clients/{id}/messages`: the device's ACK, `sent`
/// (no wait), or `queued` for an offline device (then only ``msgID`` and
/// ``status`` are present).
public struct MessageReply: Codable, Sendable, Hashable {
    /// The message's id.
    public var msgID: String
    /// `success`, `failure`, `timeout`, `sent` (no wait) or `queued`.
    public var status: String
    /// The result as UTF-8 text (invalid sequences replaced).
    public var result: String?
    /// The result's exact bytes, base64.
    public var resultBase64: String?
    /// The device's error text for a failure or timeout.
    public var error: String?
    /// Round trip in milliseconds.
    public var latencyMilliseconds: Double?

    enum CodingKeys: String, CodingKey {
        case msgID = "msg_id"
        case status, result, error
        case resultBase64 = "result_base64"
        case latencyMilliseconds = "latency_ms"
    }

    /// An answer with every field given.
    public init(
        msgID: String, status: String, result: String? = nil, resultBase64: String? = nil, error: String? = nil,
        latencyMilliseconds: Double? = nil
    ) {
        self.msgID = msgID
        self.status = status
        self.result = result
        self.resultBase64 = resultBase64
        self.error = error
        self.latencyMilliseconds = latencyMilliseconds
    }

    /// The answer for a message queued for an offline device (HTTP 202).
    public static func queued(_ msgID: String) -> MessageReply {
        MessageReply(msgID: msgID, status: "queued")
    }

    /// The result's exact bytes (from ``resultBase64``, else ``result``).
    public var resultBytes: [UInt8] {
        resultBase64.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } ?? Array((result ?? "").utf8)
    }
}
