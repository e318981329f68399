import QuicFlow
import QuicFlowCluster

/// What the admin API reads of the cluster in cluster mode: the node (its
/// registry of nodes) and the cluster-wide directory of devices.
struct ClusterView: Sendable {
    let node: ClusterNode
    let directory: any ClientDirectory

    /// This node's id.
    var nodeID: String { node.registry.run.nodeID }
}
