import Hummingbird

/// The 202 answer of `POST /v1/clients/{id}/messages` for a message queued
/// for an offline client.
struct QueuedResult: ResponseEncodable, Decodable, Sendable {
    let msgID: String
    /// Always `queued`.
    let status: String

    enum CodingKeys: String, CodingKey {
        case msgID = "msg_id"
        case status
    }
}
