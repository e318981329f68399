import PostgresNIO
public import QuicFlowTime

/// The cluster's tables, created or migrated when a node starts: in one
/// transaction, under an advisory lock, so that nodes starting together
/// migrate once and a node never sees half a schema.
///
/// Times are Unix milliseconds from the nodes' wall clocks (keep them in
/// step with NTP), except the message table's, which keep
/// ``QuicFlow/StoredMessage``'s Unix seconds. README, "Cluster mode", explains each table.
public enum ClusterSchema {
    /// The schema version this build writes.
    public static var version: Int { migrations.count }

    /// Any constant that no other application on the database uses: with
    /// the schema's name, the transaction-scoped advisory lock of
    /// migrations ("QFLO"), so that clusters in two schemas do not wait on
    /// each other.
    static let migrationLock: Int32 = 0x5146_4C4F

    /// Each version's statements, in order; never edit a released one, add another.
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE qf_node (
                node_id text PRIMARY KEY, run_id text NOT NULL, started_at bigint NOT NULL,
                heartbeat_at bigint NOT NULL, admin_url text NOT NULL DEFAULT '',
                backbone_address text NOT NULL DEFAULT '')
            """,
            """
            CREATE TABLE qf_device_session (
                client_id text PRIMARY KEY, node_id text NOT NULL, run_id text NOT NULL,
                session_id text NOT NULL, epoch bigint NOT NULL, connected boolean NOT NULL,
                remote_addr text NOT NULL, connected_at bigint NOT NULL, last_heartbeat bigint NOT NULL)
            """,
            "CREATE INDEX qf_device_session_run ON qf_device_session (run_id) WHERE connected",
            """
            CREATE TABLE qf_message (
                seq bigserial PRIMARY KEY, msg_id text NOT NULL UNIQUE, client_id text NOT NULL,
                type text NOT NULL, payload bytea NOT NULL, timeout_ms integer NOT NULL, state text NOT NULL,
                created_at double precision NOT NULL, expires_at double precision,
                updated_at double precision NOT NULL, status text, result bytea, error text,
                late boolean NOT NULL DEFAULT false, origin_node text NOT NULL DEFAULT '',
                wait_ack boolean NOT NULL DEFAULT true, claimed_by text,
                delivery_run text, delivery_until double precision)
            """,
            "CREATE INDEX qf_message_queued ON qf_message (client_id, seq) WHERE state = 'queued'",
            "CREATE INDEX qf_message_finished ON qf_message (updated_at) WHERE state <> 'queued'",
            "CREATE INDEX qf_message_routed ON qf_message (claimed_by) WHERE state = 'routed'",
            """
            CREATE TABLE qf_received (
                client_id text NOT NULL, msg_id text NOT NULL, state text NOT NULL, run_id text NOT NULL,
                status text, result bytea, error text, received_at bigint NOT NULL,
                PRIMARY KEY (client_id, msg_id))
            """,
            """
            CREATE TABLE qf_broadcast (
                id bigserial PRIMARY KEY, type text NOT NULL, payload bytea NOT NULL, origin_node text NOT NULL,
                nodes integer NOT NULL, created_at double precision NOT NULL)
            """,
            """
            CREATE TABLE qf_broadcast_result (
                broadcast_id bigint NOT NULL, node_id text NOT NULL, reached integer NOT NULL,
                PRIMARY KEY (broadcast_id, node_id))
            """,
            """
            CREATE TABLE qf_event (
                id bigserial PRIMARY KEY, at bigint NOT NULL, node_id text NOT NULL, body text NOT NULL)
            """,
            "CREATE INDEX qf_event_at ON qf_event (at)",
        ],
    ]

    /// Creates the tables, or adds what a newer version needs.
    /// - Returns: the versions this call applied (empty when another node did).
    /// - Throws: ``ClusterError`` (`schema`) when the database is newer than this build.
    @discardableResult
    public static func migrate(_ database: ClusterDatabase, wallClock: WallClock = .system) async throws(ClusterError) -> [Int] {
        let migrations = self.migrations
        let lock = migrationLock
        let now = wallClock.unixMilliseconds()
        let outcome = try await database.transaction("migrating the cluster schema", statements: 4) { connection -> Result<[Int], ClusterError> in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(\(lock), hashtext(current_schema()))", logger: database.logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS qf_schema (version integer PRIMARY KEY, applied_at bigint NOT NULL)",
                logger: database.logger)
            var current = 0
            for try await version in try await connection.query(
                "SELECT COALESCE(MAX(version), 0) FROM qf_schema", logger: database.logger
            ).decode(Int.self) {
                current = version
            }
            guard current <= migrations.count else {
                return .failure(ClusterError(.schema, "the cluster database's schema is version \(current), newer than this quicflow-server knows (\(migrations.count)); upgrade this node to the version the other nodes run"))
            }
            var applied: [Int] = []
            for (index, statements) in migrations.enumerated() where index + 1 > current {
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: database.logger)
                }
                let version = index + 1
                try await connection.query(
                    "INSERT INTO qf_schema (version, applied_at) VALUES (\(version), \(now))", logger: database.logger)
                applied.append(version)
            }
            return .success(applied)
        }
        return try outcome.get()
    }
}
