import Foundation
import QuicFlowJSON

/// One thing that happened on the server, as `GET /v1/events` streams it:
/// the SSE event name is ``event``, its data this value as JSON.
///
/// Fields that do not apply to an event are left out of the JSON.
struct ServerEvent: Codable, Sendable, Hashable {
    /// `connect`, `disconnect`, `message`, `queued`, `delivered` or `expired`.
    var event: String
    /// When it happened, RFC 3339 with milliseconds (``JSONTime``).
    var time = JSONTime.string(from: Date())
    var clientID: String?
    var remoteAddress: String?
    /// Why a session ended (disconnect).
    var reason: String?
    var msgID: String?
    /// The message type (message, queued).
    var type: String?
    /// The payload as UTF-8 text, when it is text.
    var payload: String?
    var payloadBase64: String?
    /// For a RESPONSE: the message it answers.
    var inReplyTo: String?
    /// `SUCCESS`, `FAILURE` or `TIMEOUT` (delivered, late responses).
    var status: String?
    var result: String?
    var resultBase64: String?
    var error: String?
    /// A message the server's previous run began handling and did not
    /// finish (a crash): it may have been seen before.
    var redelivered: Bool?
    /// In a cluster, the node it happened on.
    var node: String?

    enum CodingKeys: String, CodingKey {
        case event, time, reason, type, payload, status, result, error, redelivered, node
        case clientID = "client_id"
        case remoteAddress = "remote_address"
        case msgID = "msg_id"
        case payloadBase64 = "payload_base64"
        case inReplyTo = "in_reply_to"
        case resultBase64 = "result_base64"
    }

    /// A named event; fill in the fields that apply.
    init(_ event: String) {
        self.event = event
    }

    /// Sets ``payload`` (when the bytes are UTF-8) and ``payloadBase64``.
    mutating func setPayload(_ bytes: some Collection<UInt8>) {
        payload = String(validating: bytes, as: UTF8.self)
        payloadBase64 = Data(bytes).base64EncodedString()
    }

    /// Sets ``result`` (when the bytes are UTF-8) and ``resultBase64``.
    mutating func setResult(_ bytes: some Collection<UInt8>) {
        result = String(validating: bytes, as: UTF8.self)
        resultBase64 = Data(bytes).base64EncodedString()
    }

    /// The event in the text/event-stream format: `id`, `event` and one
    /// `data` line of JSON, then a blank line.
    func serverSentEvent(id: UInt64) -> String {
        let encoder = JSONOutput.encoder()
        // JSON has no raw newlines, so one data line carries it whole.
        let json = (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "id: \(id)\nevent: \(event)\ndata: \(json)\n\n"
    }
}
