public import Foundation

/// One run of one node: the node's name, and an id that is new each time
/// the process starts. Rows a run owns name its run id, so that another
/// node can tell a run that is alive from one that died (`qf_node` names
/// each node's current run).
public struct NodeRun: Sendable, Hashable {
    /// `[cluster] node_id`.
    public let nodeID: String
    /// New per process start.
    public let runID: String

    /// A new run of `nodeID`.
    public init(nodeID: String, runID: String = UUID().uuidString) {
        self.nodeID = nodeID
        self.runID = runID
    }
}
