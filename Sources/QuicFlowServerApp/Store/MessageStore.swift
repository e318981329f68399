import Foundation
import GRDB
import QuicFlow
import QuicFlowDataDirectory
import QuicFlowConfigFile
import Synchronization
import QuicFlowTime

/// The server's SQLite store of messages the admin API took: those queued
/// for offline clients (store and forward) and the state and result of
/// every unicast, so that `GET /v1/messages/{id}` can answer and a late
/// RESPONSE can complete it.
///
/// It also remembers the answer to each message a device sent (the
/// `received` table), so that a device repeating a msg_id after a server
/// crash, whose ACK the crash swallowed, is answered from here instead of
/// handled again.
///
/// A file under the data directory survives restarts; without one the
/// store lives in memory. The file is 0600 in a 0700 directory.
final class MessageStore: Sendable {
    /// How long delivered and expired messages are kept for lookups.
    static let retention: TimeInterval = 7 * 24 * 3600
    /// Default of ``inMemoryRecordLimit``.
    static let defaultInMemoryRecordLimit = 10_000

    private let queue: DatabaseQueue
    /// The database file; `nil` in memory.
    let path: String?
    /// Without a data directory, how many finished message records are kept
    /// (the newest): memory, unlike a disk, is not there for 7 days of them.
    let inMemoryRecordLimit: Int
    /// Marks the `received` rows this process is handling, to tell them
    /// from rows a crashed predecessor left half-done.
    private let run: String
    /// Writes the `received` table in shared transactions.
    private let journal: ReceivedJournal
    /// Repeats answered from the `received` table, for /metrics.
    private let repeats = Atomic<Int>(0)
    /// Messages handled again after a previous run stopped mid-way, for /metrics.
    private let redeliveries = Atomic<Int>(0)
    /// Answers in the `received` table, kept here so /metrics need not count rows.
    private let answers = Atomic<Int>(0)

    /// Opens (or creates) the store in `directory`, or in memory.
    /// - Throws: ``ServerAppError`` (`storage`) naming the file and what to check.
    init(directory: String?, inMemoryRecordLimit: Int = MessageStore.defaultInMemoryRecordLimit) throws(ServerAppError) {
        self.inMemoryRecordLimit = inMemoryRecordLimit
        var configuration = Configuration()
        configuration.label = "QuicFlowServerApp.MessageStore"
        configuration.busyMode = .timeout(5)
        let run = UUID().uuidString
        self.run = run
        do {
            if let directory {
                let path = directory.hasSuffix("/") ? directory + "messages.sqlite" : directory + "/messages.sqlite"
                self.path = path
                try DatabaseFiles.prepare(path, what: "message store")
                configuration.journalMode = .wal
                // NORMAL in WAL survives a crash of the server; a queued message is
                // also only acknowledged to the operator after its commit.
                configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
                queue = try DatabaseQueue(path: path, configuration: configuration)
                try Self.migrate(queue)
                answers.store(try Self.restartReceivedWindow(queue), ordering: .relaxed)
                try DatabaseFiles.restrict(path)
            } else {
                self.path = nil
                queue = try DatabaseQueue(configuration: configuration)
                try Self.migrate(queue)
            }
        } catch let error as ServerAppError {
            throw error
        } catch let error as DataDirectoryError {
            throw ServerAppError(.storage, error.message)
        } catch {
            throw ServerAppError(.storage, "cannot open the message store in \(directory ?? "memory"): \(error); check that the data directory is writable by this user and the disk is not full")
        }
        journal = ReceivedJournal(queue: queue, run: run)
    }

    private static func migrate(_ queue: DatabaseQueue) throws {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE messages (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    msg_id TEXT NOT NULL UNIQUE,
                    client_id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    timeout_ms INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    expires_at REAL,
                    updated_at REAL NOT NULL,
                    status TEXT,
                    result BLOB,
                    error TEXT,
                    late INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX messages_queued ON messages (state, client_id, seq);
                CREATE INDEX messages_expiry ON messages (state, expires_at);
                """)
        }
        migrator.registerMigration("v2") { db in
            // The hourly retention purge reads finished rows by age.
            try db.execute(sql: "CREATE INDEX messages_retention ON messages (state, updated_at)")
        }
        migrator.registerMigration("v3") { db in
            // Messages from devices: 'handling' is written before the message
            // is handled, 'answered' with its answer before the ACK is sent.
            try db.execute(sql: """
                CREATE TABLE received (
                    sender TEXT NOT NULL,
                    msg_id TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('handling', 'answered')),
                    run TEXT NOT NULL,
                    status TEXT,
                    result BLOB,
                    error TEXT,
                    received_at REAL NOT NULL,
                    PRIMARY KEY (sender, msg_id)
                ) WITHOUT ROWID;
                CREATE INDEX received_age ON received (received_at);
                """)
        }
        try migrator.migrate(queue)
    }

    /// Gives the answers a previous run remembered a fresh window: devices
    /// repeat what a crash left unacknowledged once the server is back, so
    /// the window counts from the restart, not from before the outage.
    /// - Returns: how many answers the store holds.
    private static func restartReceivedWindow(_ queue: DatabaseQueue) throws -> Int {
        let now = Date().timeIntervalSince1970
        return try queue.write { db in
            try db.execute(sql: "UPDATE received SET received_at = ?", arguments: [now])
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM received WHERE state = 'answered'") ?? 0
        }
    }

    /// Stores a new message.
    func insert(_ message: StoredMessage) async throws(ServerAppError) {
        try await write { db in try message.insert(db) }
    }

    /// The message with `msgID`, if the store has it.
    func lookup(_ msgID: String) async throws(ServerAppError) -> StoredMessage? {
        try await read { db in try StoredMessage.fetchOne(db, key: ["msg_id": msgID]) }
    }

    /// Moves a message to `state`, optionally with its outcome.
    @discardableResult
    func update(
        _ msgID: String, state: MessageState, status: String? = nil, result: Data? = nil,
        error: String? = nil, late: Bool = false
    ) async throws(ServerAppError) -> StoredMessage? {
        let now = Date().timeIntervalSince1970
        return try await write { db in
            guard var message = try StoredMessage.fetchOne(db, key: ["msg_id": msgID]) else { return nil }
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

    /// The queued, unexpired messages for `clientID`, oldest first.
    func queued(for clientID: String) async throws(ServerAppError) -> [StoredMessage] {
        let now = Date().timeIntervalSince1970
        return try await read { db in
            try StoredMessage.fetchAll(db, sql: """
                SELECT * FROM messages WHERE state = 'queued' AND client_id = ? AND (expires_at IS NULL OR expires_at > ?)
                ORDER BY seq
                """, arguments: [clientID, now])
        }
    }

    /// The clients that have queued, unexpired messages.
    func clientsWithQueuedMessages() async throws(ServerAppError) -> [String] {
        let now = Date().timeIntervalSince1970
        return try await read { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT client_id FROM messages WHERE state = 'queued' AND (expires_at IS NULL OR expires_at > ?)
                """, arguments: [now])
        }
    }

    /// How many messages wait for their clients.
    func queuedCount() async throws(ServerAppError) -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM messages WHERE state = 'queued'") ?? 0 }
    }

    /// Marks every queued message whose time ran out as expired.
    /// - Returns: the messages that expired now.
    func expire() async throws(ServerAppError) -> [StoredMessage] {
        let now = Date().timeIntervalSince1970
        return try await write { db in
            let expired = try StoredMessage.fetchAll(db, sql: """
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

    /// Drops sent, delivered and expired messages older than ``retention``
    /// (a `sent` one is a no-wait or timed-out unicast whose late answer
    /// never came); in memory, also all but the newest ``inMemoryRecordLimit``.
    /// - Returns: how many were dropped.
    @discardableResult
    func purgeFinished() async throws(ServerAppError) -> Int {
        let cutoff = Date().timeIntervalSince1970 - Self.retention
        let limit = path == nil ? inMemoryRecordLimit : nil
        return try await write { db in
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

    /// Looks up a message from a device and, when it is new, records that
    /// it is being handled. A row a previous run left `handling` is taken
    /// over by this run and reported as ``ReceivedLookup/interrupted``.
    func beginHandling(sender: String, msgID: String) async throws(ServerAppError) -> ReceivedLookup {
        let lookup: ReceivedLookup
        do {
            lookup = try await journal.begin(sender: sender, msgID: msgID)
        } catch {
            throw storageError(error)
        }
        switch lookup {
        case .answered: repeats.add(1, ordering: .relaxed)
        case .interrupted: redeliveries.add(1, ordering: .relaxed)
        case .new, .inProgress: break
        }
        return lookup
    }

    /// Repeats of device messages answered from the store since start.
    var repeatsAnswered: Int { repeats.load(ordering: .relaxed) }
    /// Device messages handled again, as redelivered, since start.
    var redelivered: Int { redeliveries.load(ordering: .relaxed) }

    /// Records the answer to a message from a device; repeats of its
    /// msg_id get this answer from now on.
    func recordAnswer(sender: String, msgID: String, _ response: Response) async throws(ServerAppError) {
        do {
            if try await journal.answer(sender: sender, msgID: msgID, response) { answers.add(1, ordering: .relaxed) }
        } catch {
            throw storageError(error)
        }
    }

    /// Forgets a device message whose handling failed, so that its repeat
    /// is handled again instead of answered from the store.
    func forgetHandling(sender: String, msgID: String) async throws(ServerAppError) {
        try await write { db in
            try db.execute(
                sql: "DELETE FROM received WHERE sender = ? AND msg_id = ? AND state = 'handling'",
                arguments: [sender, msgID])
        }
    }

    /// How many answers to device messages the store keeps for repeats.
    var rememberedAnswers: Int { answers.load(ordering: .relaxed) }

    /// Forgets answers to device messages received longer than `window` ago.
    /// - Returns: how many were forgotten.
    @discardableResult
    func purgeReceived(olderThan window: Duration) async throws(ServerAppError) -> Int {
        let cutoff = Date().timeIntervalSince1970 - Double(window.wholeMilliseconds) / 1_000
        let run = self.run
        let (answered, handling) = try await write { db in
            try db.execute(sql: "DELETE FROM received WHERE state = 'answered' AND received_at <= ?", arguments: [cutoff])
            let answered = db.changesCount
            // One still 'handling' from another run belongs to a run that died;
            // this run's are still running (a slow hook) and get their answer.
            try db.execute(sql: """
                DELETE FROM received WHERE state = 'handling' AND run != ? AND received_at <= ?
                """, arguments: [run, cutoff])
            return (answered, db.changesCount)
        }
        answers.subtract(answered, ordering: .relaxed)
        return answered + handling
    }

    /// How many device messages the store remembers.
    func receivedCount() async throws(ServerAppError) -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM received") ?? 0 }
    }

    private func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws(ServerAppError) -> T {
        do {
            return try await queue.write(body)
        } catch {
            throw storageError(error)
        }
    }

    private func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws(ServerAppError) -> T {
        do {
            return try await queue.read(body)
        } catch {
            throw storageError(error)
        }
    }

    private func storageError(_ error: any Error) -> ServerAppError {
        ServerAppError(.storage, "the message store \(path ?? "(in memory)") failed: \(error); check the disk and the data directory's permissions")
    }
}
