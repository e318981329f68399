/// One node as `GET /v1/cluster` shows it.
public struct ClusterNodeInfo: Sendable, Hashable {
    /// `[cluster] node_id`.
    public var nodeID: String
    /// When its current run started, Unix milliseconds.
    public var startedAt: Int64
    /// Its last heartbeat, Unix milliseconds.
    public var heartbeatAt: Int64
    /// Whether its heartbeat is younger than the lease.
    public var alive: Bool
    /// Its admin API, as it announced it.
    public var adminURL: String
    /// Its QUIC address, as it announced it.
    public var backboneAddress: String
    /// The devices connected to it now.
    public var devices: Int

    /// Creates a node entry.
    public init(
        nodeID: String, startedAt: Int64, heartbeatAt: Int64, alive: Bool, adminURL: String, backboneAddress: String,
        devices: Int
    ) {
        self.nodeID = nodeID
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.alive = alive
        self.adminURL = adminURL
        self.backboneAddress = backboneAddress
        self.devices = devices
    }
}
