import Foundation
import GRDB
import QuicFlow
public import QuicFlowTime

extension Outbox {
    /// Reads the whole file page by page (`PRAGMA quick_check`), so a
    /// damaged outbox is found at start rather than by failing deliveries
    /// one at a time.
    /// - Throws: ``AgentError`` (`outboxCorrupt`) naming the file and the
    ///   way out (`quicflow-agent outbox salvage`).
    public func checkIntegrity() async throws(AgentError) {
        let path = path
        let problems = try await read("check the outbox for damage") { db in
            try String.fetchAll(db, sql: "PRAGMA quick_check")
        }
        guard problems == ["ok"] else {
            throw Self.corrupt(path, problems.prefix(3).joined(separator: "; "))
        }
    }

    /// The error for a damaged outbox when `error` is SQLite's corruption.
    static func corruption(_ path: String, _ error: any Error) -> AgentError? {
        guard let error = error as? DatabaseError,
            error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
        else { return nil }
        return corrupt(path, describe(error))
    }

    static func corrupt(_ path: String, _ detail: String) -> AgentError {
        AgentError(
            .outboxCorrupt,
            "the outbox \(path) is corrupt (\(detail)), so some of its messages cannot be read; nothing more is written to it. `quicflow-agent outbox salvage` copies every readable message into a new outbox, keeps the damaged file beside it, and says how many it saved and lost")
    }

    /// Copies every readable message of the damaged outbox at `path` into a
    /// new one there; the damaged file (with its -wal and -shm) is kept as
    /// `PATH.corrupt-UNIXMS`. Messages keep their msg_id, state, attempts
    /// and age; one that was in flight is pending again.
    /// - Returns: What was saved and lost.
    public static func salvage(path: String, maxMessages: Int, retryBackoff: Backoff) async throws(AgentError) -> OutboxSalvage {
        let damaged = path + ".corrupt-\(WallClock.system.unixMilliseconds())"
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            guard rename(path + suffix, damaged + suffix) == 0 else {
                throw AgentError(.storage, "cannot move \(path + suffix) aside: \(String(cString: strerror(errno)))")
            }
        }
        let marker = OutboxIdentity.path(for: path)
        if FileManager.default.fileExists(atPath: marker) { _ = unlink(marker) }

        let (rows, expected, unreadable) = read(damaged)
        let outbox = try Outbox(path: path, maxMessages: max(maxMessages, rows.count), retryBackoff: retryBackoff)
        try await outbox.write("copy the salvaged messages") { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO messages (msg_id, type, payload, wait_ack, state, attempts, created_at, last_attempt_at,
                    last_error, next_attempt_at)
                VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)
                """)
            for row in rows {
                try insert.execute(arguments: [
                    row.msgID, row.type, row.payload, row.state == "dead" ? "dead" : "pending", row.attempts,
                    row.createdAt, row.lastAttemptAt, row.lastError, row.nextAttemptAt,
                ])
            }
        }
        let lost = expected.map { max(0, $0 - rows.count) } ?? unreadable
        return OutboxSalvage(saved: rows.count, lost: lost, lostCountKnown: expected != nil, damagedFile: damaged)
    }

    /// The readable message rows of `path`, the count the file says it
    /// held (if readable), and how many lookups failed.
    /// One message row as read from a damaged file.
    private typealias SalvagedRow = (
        msgID: String, type: String, payload: Data, state: String, attempts: Int, createdAt: Int64,
        lastAttemptAt: Int64?, lastError: String?, nextAttemptAt: Int64
    )

    private static func read(_ path: String) -> (rows: [SalvagedRow], expected: Int?, unreadable: Int) {
        // Not read-only: a WAL file without its -shm opens only with write access.
        // The file is the damaged copy, which nothing else uses.
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path)
        } catch {
            FileHandle.standardError.write(Data(("cannot open the damaged outbox \(path): \(describe(error))" + "\n").utf8))
            return ([], nil, 0)
        }
        // No transaction around it: a read of a damaged page must not fail the others at commit.
        return queue.inDatabase { db -> ([SalvagedRow], Int?, Int) in
            let expected = try? Int.fetchOne(db, sql: "SELECT total FROM message_count WHERE id = 1")
            let highest =
                (try? Int64.fetchOne(db, sql: "SELECT MAX(id) FROM messages"))
                ?? (try? Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'messages'"))
            guard let highest, highest > 0 else { return ([], expected, 0) }
            // One lookup per id: a damaged page loses its own rows, not the rest.
            var rows: [SalvagedRow] = []
            var unreadable = 0
            for id in 1...highest {
                do {
                    if let row = try Row.fetchOne(db, sql: """
                        SELECT msg_id, type, payload, state, attempts, created_at, last_attempt_at, last_error,
                            next_attempt_at
                        FROM messages WHERE id = ?
                        """, arguments: [id]) {
                        rows.append((
                            row["msg_id"], row["type"], row["payload"], row["state"], row["attempts"], row["created_at"],
                            row["last_attempt_at"], row["last_error"], row["next_attempt_at"]))
                    }
                } catch {
                    unreadable += 1
                }
            }
            return (rows, expected, unreadable)
        }
    }
}
