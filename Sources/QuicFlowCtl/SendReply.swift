import Foundation

/// The answer of `POST /v1/clients/{id}/messages`: an ACK, or `queued`.
public struct SendReply: Decodable, Sendable, Hashable {
    /// The message's id.
    public let msgID: String
    /// `success`, `failure`, `timeout`, `sent` (no wait) or `queued`.
    public let status: String
    /// The result as text.
    public let result: String?
    /// The result's bytes, base64.
    public let resultBase64: String?
    /// The device's error text for a failure or timeout.
    public let error: String?
    /// Round trip in milliseconds.
    public let latencyMilliseconds: Double?

    enum CodingKeys: String, CodingKey {
        case msgID = "msg_id"
        case status, result, error
        case resultBase64 = "result_base64"
        case latencyMilliseconds = "latency_ms"
    }

    /// The result's exact bytes.
    public var resultBytes: [UInt8] {
        resultBase64.flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } ?? Array((result ?? "").utf8)
    }

    /// The exit status this answer gives `quicflowctl send`.
    public var exitStatus: CtlExitStatus { CtlExitStatus(ackStatus: status) }
}
