/// The body of `POST /v1/clients/{id}/messages` and `POST /v1/broadcast`.
/// The server checks it (the type, one payload form, positive times).
public struct SendRequest: Codable, Sendable, Hashable {
    /// `command`, `query`, `event` or `response`.
    public var type: String
    /// The payload as text.
    public var payload: String?
    /// The payload's bytes, base64 (instead of ``payload``).
    public var payloadBase64: String?
    /// Whether to wait for the device's ACK; default true.
    public var waitAck: Bool?
    /// How long to wait for the ACK.
    public var timeoutMilliseconds: Int?
    /// Queue the message when the device is offline.
    public var queueIfOffline: Bool?
    /// How long a queued message may wait.
    public var ttlMilliseconds: Int?

    enum CodingKeys: String, CodingKey {
        case type, payload
        case payloadBase64 = "payload_base64"
        case waitAck = "wait_ack"
        case timeoutMilliseconds = "timeout_ms"
        case queueIfOffline = "queue_if_offline"
        case ttlMilliseconds = "ttl_ms"
    }

    /// Creates a request.
    public init(
        type: String, payload: String? = nil, payloadBase64: String? = nil, waitAck: Bool? = nil,
        timeoutMilliseconds: Int? = nil, queueIfOffline: Bool? = nil, ttlMilliseconds: Int? = nil
    ) {
        self.type = type
        self.payload = payload
        self.payloadBase64 = payloadBase64
        self.waitAck = waitAck
        self.timeoutMilliseconds = timeoutMilliseconds
        self.queueIfOffline = queueIfOffline
        self.ttlMilliseconds = ttlMilliseconds
    }
}
