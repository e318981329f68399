public import QuicFlow
import PostgresNIO
public import QuicFlowTime

/// The ``ClientDirectory`` in the cluster's `qf_device_session` table:
/// which node holds each device, with the epoch that fences superseded
/// nodes.
///
/// A row is kept when its device disconnects (`connected` false), so that
/// the device's epoch only ever grows. An entry counts as connected while
/// the run that wrote it is its node's current run and that node's
/// heartbeat is younger than the lease: the devices of a dead node stop
/// counting without anyone deleting them.
public final class PostgresClientDirectory: ClientDirectory {
    private let database: ClusterDatabase
    private let run: NodeRun
    private let wallClock: WallClock
    private let lease: Duration

    /// The directory on `database`, written by `run`.
    public init(_ database: ClusterDatabase, run: NodeRun, lease: Duration, wallClock: WallClock = .system) {
        self.database = database
        self.run = run
        self.lease = lease
        self.wallClock = wallClock
    }

    static let columns = "s.client_id, s.node_id, s.session_id, s.remote_addr, s.connected_at, s.last_heartbeat, s.epoch"

    /// One transaction, serialised per device by an advisory lock, so that
    /// of two registrations racing on two nodes each learns what it replaced.
    /// When the session it replaces is on another node, the same transaction
    /// tells that node to close it (``ClusterNotice/supersede(clientID:epoch:)``,
    /// sent at commit); the epoch keeps a late notice from closing a newer session there.
    @discardableResult
    public nonisolated(nonsending) func register(_ presence: ClientPresence) async throws -> ClientRegistration {
        let alive = wallClock.unixMilliseconds() - lease.wholeMilliseconds
        let runID = run.runID
        let logger = database.logger
        let prefix = ClusterChannel.prefix(schema: database.schema)
        return try await database.transaction("registering \(presence.clientID)", statements: 3) { connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext('qf_device_session'), hashtext(\(presence.clientID)))",
                logger: logger)
            var registration = ClientRegistration(epoch: 0, replaced: nil)
            let rows = try await connection.query("""
                WITH old AS (
                    SELECT \(unescaped: Self.columns) FROM qf_device_session s
                    WHERE s.client_id = \(presence.clientID) AND s.connected AND EXISTS (
                        SELECT 1 FROM qf_node n WHERE n.run_id = s.run_id AND n.heartbeat_at > \(alive))),
                up AS (
                    INSERT INTO qf_device_session AS d (client_id, node_id, run_id, session_id, epoch, connected,
                        remote_addr, connected_at, last_heartbeat)
                    VALUES (\(presence.clientID), \(presence.node), \(runID), \(presence.sessionID), 1, true,
                        \(presence.remoteAddress), \(presence.connectedAt), \(presence.lastHeartbeat))
                    ON CONFLICT (client_id) DO UPDATE SET node_id = EXCLUDED.node_id, run_id = EXCLUDED.run_id,
                        session_id = EXCLUDED.session_id, epoch = d.epoch + 1, connected = true,
                        remote_addr = EXCLUDED.remote_addr, connected_at = EXCLUDED.connected_at,
                        last_heartbeat = EXCLUDED.last_heartbeat
                    RETURNING epoch)
                SELECT up.epoch, old.* FROM up LEFT JOIN old ON true
                """, logger: logger)
            for try await row in rows {
                let cells = Array(row)
                registration.epoch = try cells[0].decode(Int64.self)
                if try cells[1].decode(String?.self) != nil {
                    registration.replaced = try Self.decode(row, from: 1)
                }
            }
            if let replaced = registration.replaced, replaced.node != presence.node {
                let notice = ClusterNotice.supersede(clientID: presence.clientID, epoch: registration.epoch)
                try await connection.query(
                    "SELECT pg_notify(\(prefix + replaced.node), \(notice.payload))", logger: logger)
            }
            return registration
        }
    }

    @discardableResult
    public nonisolated(nonsending) func heartbeat(clientID: String, sessionID: String, at time: Int64) async throws -> Bool {
        try await database.execute("recording a heartbeat of \(clientID)", """
            UPDATE qf_device_session SET last_heartbeat = \(time)
            WHERE client_id = \(clientID) AND session_id = \(sessionID) AND connected
            RETURNING 1
            """) == 1
    }

    @discardableResult
    public nonisolated(nonsending) func remove(clientID: String, sessionID: String) async throws -> Bool {
        try await database.execute("recording that \(clientID) left", """
            UPDATE qf_device_session SET connected = false
            WHERE client_id = \(clientID) AND session_id = \(sessionID) AND connected
            RETURNING 1
            """) == 1
    }

    public nonisolated(nonsending) func lookup(_ clientID: String) async throws -> ClientPresence? {
        let alive = wallClock.unixMilliseconds() - lease.wholeMilliseconds
        return try await database.rows("looking up \(clientID)", """
            SELECT \(unescaped: Self.columns) FROM qf_device_session s
            WHERE s.client_id = \(clientID) AND s.connected AND EXISTS (
                SELECT 1 FROM qf_node n WHERE n.run_id = s.run_id AND n.heartbeat_at > \(alive))
            """) { try Self.decode($0, from: 0) }.first
    }

    public nonisolated(nonsending) func all() async throws -> [ClientPresence] {
        let alive = wallClock.unixMilliseconds() - lease.wholeMilliseconds
        return try await database.rows("listing the connected devices", """
            SELECT \(unescaped: Self.columns) FROM qf_device_session s
            JOIN qf_node n ON n.run_id = s.run_id AND n.heartbeat_at > \(alive)
            WHERE s.connected ORDER BY s.client_id
            """) { try Self.decode($0, from: 0) }
    }

    /// An entry from ``columns``, starting at column `first`.
    static func decode(_ row: PostgresRow, from first: Int) throws -> ClientPresence {
        let cells = Array(row)
        return ClientPresence(
            clientID: try cells[first].decode(String.self), node: try cells[first + 1].decode(String.self),
            sessionID: try cells[first + 2].decode(String.self), remoteAddress: try cells[first + 3].decode(String.self),
            connectedAt: try cells[first + 4].decode(Int64.self), lastHeartbeat: try cells[first + 5].decode(Int64.self),
            epoch: try cells[first + 6].decode(Int64.self))
    }
}
