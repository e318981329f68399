/// The answer of `GET /v1/cluster`.
public struct ClusterReply: Codable, Sendable, Hashable {
    /// The node that answered.
    public var node: String
    /// Every node the cluster knows, by node id.
    public var nodes: [ClusterNodeStatus]

    /// Creates an answer.
    public init(node: String, nodes: [ClusterNodeStatus]) {
        self.node = node
        self.nodes = nodes
    }
}
