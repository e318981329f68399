/// One event of the cluster's stream, as `qf_event` keeps it.
public struct ClusterEventEntry: Sendable, Hashable {
    /// Its place in the cluster-wide stream (the SSE id on every node).
    public let id: Int64
    /// The node that published it.
    public let nodeID: String
    /// The event as the publishing node encoded it (JSON).
    public let body: String

    /// An entry.
    public init(id: Int64, nodeID: String, body: String) {
        self.id = id
        self.nodeID = nodeID
        self.body = body
    }
}
