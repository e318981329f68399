import Foundation
import QuicFlow
import QuicFlowAdminModel

extension SendRequest {
    /// Without `ttl_ms`, a queued message waits this long for its client.
    static let defaultTTL: Duration = .seconds(24 * 3600)

    /// How long the message may wait for an offline client; `nil` when it
    /// must not be queued.
    func queueTTL() throws(AdminRequestError) -> Duration? {
        guard queueIfOffline == true else {
            if ttlMilliseconds != nil {
                throw AdminRequestError("ttl_ms only applies with \"queue_if_offline\": true")
            }
            return nil
        }
        guard let ttlMilliseconds else { return Self.defaultTTL }
        guard ttlMilliseconds > 0 else {
            throw AdminRequestError("ttl_ms must be positive, got \(ttlMilliseconds)")
        }
        return .milliseconds(ttlMilliseconds)
    }

    /// The message to send, or what is wrong with the body.
    func message() throws(AdminRequestError) -> Message {
        guard let messageType = MessageType(rawValue: type) else {
            throw AdminRequestError("type \"\(type)\" is not a message type; use command, query, event or response")
        }
        if payload != nil && payloadBase64 != nil {
            throw AdminRequestError("give payload or payload_base64, not both")
        }
        var bytes: [UInt8] = []
        if let payload { bytes = Array(payload.utf8) }
        if let payloadBase64 {
            guard let data = Data(base64Encoded: payloadBase64) else {
                throw AdminRequestError("payload_base64 is not valid base64")
            }
            bytes = [UInt8](data)
        }
        var timeout: Duration?
        if let timeoutMilliseconds {
            guard timeoutMilliseconds > 0 else {
                throw AdminRequestError("timeout_ms must be positive, got \(timeoutMilliseconds)")
            }
            timeout = .milliseconds(timeoutMilliseconds)
        }
        var message = Message(type: messageType, payload: bytes, waitAck: waitAck ?? true, timeout: timeout)
        message.msgID = MessageIDs.random()
        return message
    }
}
