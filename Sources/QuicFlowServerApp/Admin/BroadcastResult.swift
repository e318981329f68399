import Hummingbird

/// The answer of `POST /v1/broadcast`.
struct BroadcastResult: ResponseEncodable, Decodable, Sendable {
    /// How many connected clients the message was sent to.
    let reached: Int
}
