import Foundation
import QuicFlow
import QuicFlowAdminModel

extension MessageReply {
    /// The answer for a message the device acknowledged (or, with no
    /// `response`, that was sent without waiting).
    init(msgID: String, response: QuicFlow.Response?, latency: Duration) {
        let (seconds, attoseconds) = latency.components
        self.init(
            msgID: msgID, status: response?.status.rawValue ?? "sent",
            result: String(decoding: response?.result ?? [], as: UTF8.self),
            resultBase64: Data(response?.result ?? []).base64EncodedString(), error: response?.error ?? "",
            latencyMilliseconds: Double(seconds) * 1_000 + Double(attoseconds) / 1e15)
    }
}
