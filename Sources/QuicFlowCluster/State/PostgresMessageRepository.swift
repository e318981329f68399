public import Foundation
public import QuicFlow
import NIOCore
import PostgresNIO
public import QuicFlowTime

/// The ``MessageRepository`` in the cluster's `qf_message` table: one
/// queue and one message history for every node.
///
/// Each operation is one statement, which gives the contract's atomicity:
/// an insert of a stored msg_id hits the unique key; an update is one
/// `UPDATE … RETURNING`; two sweeps never expire the same row, because the
/// second one's `WHERE state = 'queued'` is evaluated again once the first
/// one's row lock is released.
///
/// A delivery claims the head of a device's queue for this run
/// (`delivery_run`, `delivery_until`): the claim holds until the message's
/// ACK timeout plus a margin has passed, or until the run's node stops
/// heartbeating for a lease, so a node that died mid-delivery holds a
/// device's queue for at most that long.
public final class PostgresMessageRepository: MessageRepository {
    private let database: ClusterDatabase
    private let wallClock: WallClock
    private let run: NodeRun
    /// How long a node's heartbeat counts (`[cluster] lease`).
    private let lease: Duration

    /// The repository on `database` for `run`, recorded as the origin of
    /// the messages it inserts and as the holder of its claims.
    public init(_ database: ClusterDatabase, run: NodeRun, lease: Duration, wallClock: WallClock = .system) {
        self.database = database
        self.run = run
        self.lease = lease
        self.wallClock = wallClock
    }

    /// The advisory lock of the expiry sweep (the migrations' class, a key
    /// per schema), so that one node at a time expires.
    static let expiryLock = "pg_try_advisory_xact_lock(1363561551, hashtext(current_schema() || '.expire'))"

    public var isDurable: Bool { true }

    static let columns = """
        msg_id, client_id, type, payload, timeout_ms, state, created_at, expires_at, updated_at, status, result, error, late
        """

    public func insert(_ message: StoredMessage) async throws {
        try await database.execute("storing message \(message.msgID)", """
            INSERT INTO qf_message (msg_id, client_id, type, payload, timeout_ms, state, created_at, expires_at,
                updated_at, status, result, error, late, origin_node)
            VALUES (\(message.msgID), \(message.clientID), \(message.type), \(ByteBuffer(bytes: message.payload)),
                \(message.timeoutMilliseconds), \(message.state.rawValue), \(message.createdAt), \(message.expiresAt),
                \(message.updatedAt), \(message.status), \(message.result.map { ByteBuffer(bytes: $0) }), \(message.error),
                \(message.late), \(run.nodeID))
            """)
    }

    public func lookup(_ msgID: String) async throws -> StoredMessage? {
        try await database.rows("looking up message \(msgID)", """
            SELECT \(unescaped: Self.columns) FROM qf_message WHERE msg_id = \(msgID)
            """, Self.decode).first
    }

    @discardableResult
    public func update(
        _ msgID: String, state: MessageState, status: String?, result: Data?, error: String?, late: Bool
    ) async throws -> StoredMessage? {
        let now = wallClock.unixSeconds()
        return try await database.rows("updating message \(msgID)", """
            UPDATE qf_message SET state = \(state.rawValue), updated_at = \(now),
                status = COALESCE(\(status), status), result = COALESCE(\(result.map { ByteBuffer(bytes: $0) }), result),
                error = COALESCE(\(error), error), late = late OR \(late)
            WHERE msg_id = \(msgID)
            RETURNING \(unescaped: Self.columns)
            """, Self.decode).first
    }

    public func queued(for clientID: String) async throws -> [StoredMessage] {
        let now = wallClock.unixSeconds()
        return try await database.rows("reading the queue of \(clientID)", """
            SELECT \(unescaped: Self.columns) FROM qf_message
            WHERE state = 'queued' AND client_id = \(clientID) AND (expires_at IS NULL OR expires_at > \(now))
            ORDER BY seq
            """, Self.decode)
    }

    public func claimNext(for clientID: String, margin: Duration) async throws -> QueueClaim {
        let now = wallClock.unixSeconds()
        let alive = wallClock.unixMilliseconds() - lease.wholeMilliseconds
        let marginSeconds = Double(margin.wholeMilliseconds) / 1_000
        // One row always: the head's seq (NULL when nothing is queued) and
        // the claimed message (NULLs when another live run holds it). Whether
        // the head is free is decided in `head`, on the row as FOR UPDATE
        // returns it once a concurrent claim has committed: the UPDATE's own
        // WHERE would see the statement's snapshot, from before that claim.
        let found = try await database.rows("claiming the queue head of \(clientID)", """
            WITH head AS (
                SELECT seq, (delivery_run IS NULL OR delivery_run = \(run.runID) OR delivery_until <= \(now)
                    OR NOT EXISTS (SELECT 1 FROM qf_node n WHERE n.run_id = delivery_run AND n.heartbeat_at > \(alive))) AS free
                FROM qf_message
                WHERE state = 'queued' AND client_id = \(clientID) AND (expires_at IS NULL OR expires_at > \(now))
                ORDER BY seq LIMIT 1 FOR UPDATE),
            claimed AS (
                UPDATE qf_message m SET delivery_run = \(run.runID), delivery_until = \(now) + m.timeout_ms / 1000.0 + \(marginSeconds)
                FROM head WHERE m.seq = head.seq AND head.free
                RETURNING \(unescaped: Self.columns.split(separator: ",").map { "m." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")))
            SELECT (SELECT seq FROM head), claimed.* FROM (SELECT 1) AS one LEFT JOIN claimed ON true
            """) { row -> QueueClaim in
            let cells = Array(row)
            guard try cells[0].decode(Int64?.self) != nil else { return .empty }
            guard try cells[1].decode(String?.self) != nil else { return .heldElsewhere }
            return .claimed(try Self.decode(row, from: 1))
        }
        return found.first ?? .empty
    }

    public func releaseClaim(_ msgID: String) async throws {
        try await database.execute("releasing the claim on \(msgID)", """
            UPDATE qf_message SET delivery_run = NULL, delivery_until = NULL
            WHERE msg_id = \(msgID) AND delivery_run = \(run.runID)
            """)
    }

    public func clientsWithQueuedMessages() async throws -> [String] {
        let now = wallClock.unixSeconds()
        return try await database.rows("listing the devices with queued messages", """
            SELECT DISTINCT client_id FROM qf_message
            WHERE state = 'queued' AND (expires_at IS NULL OR expires_at > \(now))
            """) { try $0.decode(String.self) }
    }

    public func queuedCount() async throws -> Int {
        try await database.rows("counting queued messages", """
            SELECT COUNT(*) FROM qf_message WHERE state = 'queued'
            """) { try $0.decode(Int.self) }.first ?? 0
    }

    public func expire() async throws -> [StoredMessage] {
        let now = wallClock.unixSeconds()
        // The advisory lock makes one node the sweeper at a time: the
        // others find it taken and skip, rather than queue on the rows' locks.
        return try await database.rows("expiring queued messages", """
            WITH sweeper AS (SELECT \(unescaped: Self.expiryLock) AS mine)
            UPDATE qf_message SET state = 'expired', updated_at = \(now)
            FROM sweeper WHERE sweeper.mine AND state = 'queued' AND expires_at <= \(now)
            RETURNING seq, \(unescaped: Self.columns)
            """) { row in
            (try Array(row)[0].decode(Int64.self), try Self.decode(row, from: 1))
        }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    @discardableResult
    public func purgeFinished(olderThan retention: Duration) async throws -> Int {
        let cutoff = wallClock.unixSeconds() - Double(retention.wholeMilliseconds) / 1_000
        return try await database.execute("purging finished messages", """
            DELETE FROM qf_message WHERE state IN ('sent', 'delivered', 'expired') AND updated_at < \(cutoff)
            RETURNING 1
            """)
    }

    // MARK: - Rows

    @Sendable static func decode(_ row: PostgresRow) throws -> StoredMessage {
        try decode(row, from: 0)
    }

    /// A message from ``columns``, starting at column `first`.
    static func decode(_ row: PostgresRow, from first: Int) throws -> StoredMessage {
        let cells = Array(row)
        func cell<T: PostgresDecodable>(_ index: Int, _ type: T.Type) throws -> T {
            try cells[first + index].decode(T.self)
        }
        let stateText = try cell(5, String.self)
        // A cross-node unicast on its way to the holding node (ClusterRouter)
        // is, to a reader, a message waiting to be delivered.
        guard let state = stateText == "routed" ? .queued : MessageState(rawValue: stateText) else {
            throw ClusterError(.schema, "the cluster's message table holds a message in an unknown state '\(stateText)'")
        }
        return StoredMessage(
            msgID: try cell(0, String.self), clientID: try cell(1, String.self), type: try cell(2, String.self),
            payload: Data(try cell(3, ByteBuffer.self).readableBytesView), timeoutMilliseconds: try cell(4, Int.self), state: state,
            createdAt: try cell(6, Double.self), expiresAt: try cell(7, Double?.self), updatedAt: try cell(8, Double.self),
            status: try cell(9, String?.self), result: try cell(10, ByteBuffer?.self).map { Data($0.readableBytesView) },
            error: try cell(11, String?.self), late: try cell(12, Bool.self))
    }
}
