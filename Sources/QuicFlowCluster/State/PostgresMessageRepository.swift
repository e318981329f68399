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
public final class PostgresMessageRepository: MessageRepository {
    private let database: ClusterDatabase
    private let wallClock: WallClock
    private let node: String

    /// The repository on `database`; `node` is recorded as the origin of
    /// the messages this node inserts.
    public init(_ database: ClusterDatabase, node: String, wallClock: WallClock = .system) {
        self.database = database
        self.node = node
        self.wallClock = wallClock
    }

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
                \(message.late), \(node))
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
        return try await database.rows("expiring queued messages", """
            UPDATE qf_message SET state = 'expired', updated_at = \(now)
            WHERE state = 'queued' AND expires_at <= \(now)
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
