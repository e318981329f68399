/// The answer of `POST /v1/broadcast`.
public struct BroadcastReply: Codable, Sendable, Hashable {
    /// How many connected clients took the message (in a cluster, on every node).
    public var reached: Int
    /// In a cluster: the nodes alive when the broadcast began; absent on a single server.
    public var nodes: Int?
    /// In a cluster: how many of them reported their count in time.
    public var nodesReporting: Int?

    enum CodingKeys: String, CodingKey {
        case reached, nodes
        case nodesReporting = "nodes_reporting"
    }

    /// Creates an answer.
    public init(reached: Int, nodes: Int? = nil, nodesReporting: Int? = nil) {
        self.reached = reached
        self.nodes = nodes
        self.nodesReporting = nodesReporting
    }
}
