import Foundation
import GRDB
import QuicFlow
import QuicFlowTime

/// The ``MessageRepository`` in the server's SQLite database: durable with a
/// data directory; in memory otherwise, where only the newest
/// ``recordLimit`` finished messages are kept.
///
/// One SQLite connection serialises writes, which gives the contract's
/// atomicity: each operation is one transaction.
final class SQLiteMessageRepository: MessageRepository {
    /// Default of ``recordLimit``.
    static let defaultInMemoryRecordLimit = 10_000

    private let database: ServerDatabase
    private let wallClock: WallClock
    /// Without a data directory, how many finished message records are kept
    /// (the newest): memory, unlike a disk, is not there for 7 days of them.
    let recordLimit: Int?

    init(
        _ database: ServerDatabase, wallClock: WallClock = .system,
        inMemoryRecordLimit: Int = SQLiteMessageRepository.defaultInMemoryRecordLimit
    ) {
        self.database = database
        self.wallClock = wallClock
        self.recordLimit = database.path == nil ? inMemoryRecordLimit : nil
    }

    var isDurable: Bool { database.path != nil }

    func insert(_ message: StoredMessage) async throws {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO messages (msg_id, client_id, type, payload, timeout_ms, state, created_at, expires_at,
                    updated_at, status, result, error, late)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    message.msgID, message.clientID, message.type, message.payload, message.timeoutMilliseconds,
                    message.state.rawValue, message.createdAt, message.expiresAt, message.updatedAt, message.status,
                    message.result, message.error, message.late,
                ])
        }
    }

    func lookup(_ msgID: String) async throws -> StoredMessage? {
        try await database.read { db in try Self.fetchOne(db, msgID) }
    }

    @discardableResult
    func update(
        _ msgID: String, state: MessageState, status: String?, result: Data?, error: String?, late: Bool
    ) async throws -> StoredMessage? {
        let now = wallClock.unixSeconds()
        return try await database.write { db in
            guard var message = try Self.fetchOne(db, msgID) else { return nil }
            message.state = state
            message.updatedAt = now
            if let status { message.status = status }
            if let result { message.result = result }
            if let error { message.error = error }
            if late { message.late = true }
            // By msg_id: the table's primary key is the seq column, which the record does not carry.
            try db.execute(sql: """
                UPDATE messages SET state = ?, updated_at = ?, status = ?, result = ?, error = ?, late = ?
                WHERE msg_id = ?
                """, arguments: [
                    message.state.rawValue, message.updatedAt, message.status, message.result,
                    message.error, message.late, msgID,
                ])
            return message
        }
    }

    func queued(for clientID: String) async throws -> [StoredMessage] {
        let now = wallClock.unixSeconds()
        return try await database.read { db in
            try Self.fetchAll(db, sql: """
                SELECT * FROM messages WHERE state = 'queued' AND client_id = ? AND (expires_at IS NULL OR expires_at > ?)
                ORDER BY seq
                """, arguments: [clientID, now])
        }
    }

    func clientsWithQueuedMessages() async throws -> [String] {
        let now = wallClock.unixSeconds()
        return try await database.read { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT client_id FROM messages WHERE state = 'queued' AND (expires_at IS NULL OR expires_at > ?)
                """, arguments: [now])
        }
    }

    func queuedCount() async throws -> Int {
        try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages WHERE state = 'queued'") ?? 0
        }
    }

    func expire() async throws -> [StoredMessage] {
        let now = wallClock.unixSeconds()
        return try await database.write { db in
            let expired = try Self.fetchAll(db, sql: """
                SELECT * FROM messages WHERE state = 'queued' AND expires_at <= ? ORDER BY seq
                """, arguments: [now])
            if !expired.isEmpty {
                try db.execute(sql: """
                    UPDATE messages SET state = 'expired', updated_at = ? WHERE state = 'queued' AND expires_at <= ?
                    """, arguments: [now, now])
            }
            return expired.map { message in
                var message = message
                message.state = .expired
                message.updatedAt = now
                return message
            }
        }
    }

    /// A `sent` message is a no-wait or timed-out unicast whose late answer
    /// never came; in memory, also all but the newest ``recordLimit`` finished ones go.
    @discardableResult
    func purgeFinished(olderThan retention: Duration) async throws -> Int {
        let cutoff = wallClock.unixSeconds() - Double(retention.wholeMilliseconds) / 1_000
        let limit = recordLimit
        return try await database.write { db in
            try db.execute(sql: """
                DELETE FROM messages WHERE state IN ('sent', 'delivered', 'expired') AND updated_at < ?
                """, arguments: [cutoff])
            var dropped = db.changesCount
            if let limit {
                try db.execute(sql: """
                    DELETE FROM messages WHERE state != 'queued' AND seq <= (
                        SELECT seq FROM messages WHERE state != 'queued' ORDER BY seq DESC LIMIT 1 OFFSET ?)
                    """, arguments: [limit])
                dropped += db.changesCount
            }
            return dropped
        }
    }

    // MARK: - Rows

    private static func fetchOne(_ db: Database, _ msgID: String) throws -> StoredMessage? {
        try fetchAll(db, sql: "SELECT * FROM messages WHERE msg_id = ?", arguments: [msgID]).first
    }

    /// The rows of `sql` as messages; the columns are ``StoredMessage/CodingKeys``.
    private static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments) throws -> [StoredMessage] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            typealias Column = StoredMessage.CodingKeys
            guard let state = MessageState(rawValue: row[Column.state.rawValue]) else {
                throw ServerAppError(.storage, "the message store holds a message in an unknown state '\(row[Column.state.rawValue] as String)'")
            }
            return StoredMessage(
                msgID: row[Column.msgID.rawValue], clientID: row[Column.clientID.rawValue], type: row[Column.type.rawValue],
                payload: row[Column.payload.rawValue], timeoutMilliseconds: row[Column.timeoutMilliseconds.rawValue],
                state: state, createdAt: row[Column.createdAt.rawValue], expiresAt: row[Column.expiresAt.rawValue],
                updatedAt: row[Column.updatedAt.rawValue], status: row[Column.status.rawValue],
                result: row[Column.result.rawValue], error: row[Column.error.rawValue], late: row[Column.late.rawValue])
        }
    }
}
