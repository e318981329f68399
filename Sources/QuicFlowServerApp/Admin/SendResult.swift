import Foundation
import Hummingbird
import QuicFlow

/// The answer of `POST /v1/clients/{id}/messages`.
struct SendResult: ResponseEncodable, Decodable, Sendable {
    let msgID: String
    /// `success`, `failure`, `timeout`, or `sent` without wait_ack.
    let status: String
    /// The result as UTF-8 text (invalid sequences replaced).
    let result: String
    let resultBase64: String
    let error: String
    let latencyMilliseconds: Double

    enum CodingKeys: String, CodingKey {
        case msgID = "msg_id"
        case status, result, error
        case resultBase64 = "result_base64"
        case latencyMilliseconds = "latency_ms"
    }

    init(msgID: String, response: QuicFlow.Response?, latency: Duration) {
        self.msgID = msgID
        status = response?.status.rawValue ?? "sent"
        result = String(decoding: response?.result ?? [], as: UTF8.self)
        resultBase64 = Data(response?.result ?? []).base64EncodedString()
        error = response?.error ?? ""
        let (seconds, attoseconds) = latency.components
        latencyMilliseconds = Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}
