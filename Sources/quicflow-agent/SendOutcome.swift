import Foundation

/// What `quicflow-agent send --json` prints: the message id and how it
/// ended (`queued`, `success`, `failure`, `timeout`), with the answer's
/// result and error once there is one.
struct SendOutcome: Encodable {
    let msgID: String
    let status: String
    var result: String?
    var resultBase64: String?
    var error: String?
    /// `retrying` when a FAILURE answer left the message queued for another try.
    var state: String?

    enum CodingKeys: String, CodingKey {
        case status, result, error, state
        case msgID = "msg_id"
        case resultBase64 = "result_base64"
    }

    /// An outcome without an answer yet.
    init(msgID: String, status: String) {
        self.msgID = msgID
        self.status = status
    }

    /// An answer's outcome: `result` as text (when UTF-8) and base64.
    init(msgID: String, status: String, result: [UInt8], error: String) {
        self.msgID = msgID
        self.status = status
        self.result = String(validating: result, as: UTF8.self) ?? ""
        self.resultBase64 = Data(result).base64EncodedString()
        self.error = error
    }
}
