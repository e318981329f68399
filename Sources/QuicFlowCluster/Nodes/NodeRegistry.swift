import PostgresNIO
public import QuicFlowTime

/// The nodes of the cluster in `qf_node`: each node's current run and its
/// heartbeat. A node whose heartbeat is older than the lease is dead: its
/// devices stop counting as connected and its in-progress messages may be
/// taken over.
public struct NodeRegistry: Sendable {
    /// The database.
    public let database: ClusterDatabase
    /// This node's run.
    public let run: NodeRun
    /// How long a heartbeat keeps a node alive.
    public let lease: Duration
    /// The wall clock of heartbeats.
    public let wallClock: WallClock

    /// A registry for `run`.
    public init(_ database: ClusterDatabase, run: NodeRun, lease: Duration, wallClock: WallClock = .system) {
        self.database = database
        self.run = run
        self.lease = lease
        self.wallClock = wallClock
    }

    /// Records this run as its node's current one.
    /// - Throws: ``ClusterError`` (`invalidConfiguration`) when another
    ///   process runs as the same node id (its heartbeat is fresh), so that
    ///   two nodes never share one name.
    public func join(adminURL: String = "", backboneAddress: String = "") async throws(ClusterError) {
        let now = wallClock.unixMilliseconds()
        let alive = now - lease.wholeMilliseconds
        let taken = try await database.rows("joining the cluster as \(run.nodeID)", """
            INSERT INTO qf_node AS n (node_id, run_id, started_at, heartbeat_at, admin_url, backbone_address)
            VALUES (\(run.nodeID), \(run.runID), \(now), \(now), \(adminURL), \(backboneAddress))
            ON CONFLICT (node_id) DO UPDATE SET run_id = EXCLUDED.run_id, started_at = EXCLUDED.started_at,
                heartbeat_at = EXCLUDED.heartbeat_at, admin_url = EXCLUDED.admin_url,
                backbone_address = EXCLUDED.backbone_address
            WHERE n.heartbeat_at <= \(alive) OR n.run_id = EXCLUDED.run_id
            RETURNING 1
            """) { _ in true }
        guard taken.isEmpty else { return }
        throw ClusterError(.invalidConfiguration, "another quicflow-server runs as node '\(run.nodeID)' (its heartbeat is younger than \(lease.logText)); give this one another --node-id, or wait \(lease.logText) if that one died")
    }

    /// Records where this run listens.
    public func announce(_ addresses: NodeAddresses) async throws(ClusterError) {
        try await database.execute("recording the addresses of \(run.nodeID)", """
            UPDATE qf_node SET admin_url = \(addresses.admin), backbone_address = \(addresses.backbone)
            WHERE node_id = \(run.nodeID) AND run_id = \(run.runID)
            """)
    }

    /// Refreshes this run's heartbeat.
    /// - Returns: `false` when the node's row names another run: a process
    ///   that started with the same node id after this one was presumed dead.
    public func beat() async throws(ClusterError) -> Bool {
        try await database.execute("sending the heartbeat of \(run.nodeID)", """
            UPDATE qf_node SET heartbeat_at = \(wallClock.unixMilliseconds())
            WHERE node_id = \(run.nodeID) AND run_id = \(run.runID)
            RETURNING 1
            """) == 1
    }

    /// Every node, with its device count, by node id.
    public func nodes() async throws(ClusterError) -> [ClusterNodeInfo] {
        let alive = wallClock.unixMilliseconds() - lease.wholeMilliseconds
        return try await database.rows("listing the cluster's nodes", """
            SELECT n.node_id, n.started_at, n.heartbeat_at, n.heartbeat_at > \(alive), n.admin_url, n.backbone_address,
                (SELECT COUNT(*) FROM qf_device_session s WHERE s.run_id = n.run_id AND s.connected)
            FROM qf_node n ORDER BY n.node_id
            """) { row in
            let (id, started, beat, isAlive, admin, backbone, devices) = try row.decode(
                (String, Int64, Int64, Bool, String, String, Int64).self)
            return ClusterNodeInfo(
                nodeID: id, startedAt: started, heartbeatAt: beat, alive: isAlive, adminURL: admin,
                backboneAddress: backbone, devices: isAlive ? Int(devices) : 0)
        }
    }
}
