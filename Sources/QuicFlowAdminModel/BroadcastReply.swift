/// The answer of `POST /v1/broadcast`.
public struct BroadcastReply: Codable, Sendable, Hashable {
    /// How many connected clients took the message.
    public var reached: Int

    /// Creates an answer.
    public init(reached: Int) {
        self.reached = reached
    }
}
