import Foundation
import GRDB
import QuicFlowDataDirectory

/// The server's SQLite database (`messages.sqlite` under the data
/// directory, or in memory): opened, made private and migrated once, then
/// shared by the SQLite implementations of the state protocols
/// (``SQLiteMessageRepository``, ``SQLiteReceivedLog``).
///
/// The file is 0600 in a 0700 directory.
final class ServerDatabase: Sendable {
    let queue: DatabaseQueue
    /// The database file; `nil` in memory.
    let path: String?

    /// Opens (or creates) the database in `directory`, or in memory.
    /// - Throws: ``ServerAppError`` (`storage`) naming the file and what to check.
    init(directory: String?) throws(ServerAppError) {
        var configuration = Configuration()
        configuration.label = "QuicFlowServerApp.ServerDatabase"
        configuration.busyMode = .timeout(5)
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
                try DatabaseFiles.restrict(path)
            } else {
                self.path = nil
                queue = try DatabaseQueue(configuration: configuration)
                try Self.migrate(queue)
            }
        } catch let error as DataDirectoryError {
            throw ServerAppError(.storage, error.message)
        } catch {
            throw ServerAppError(.storage, "cannot open the message store in \(directory ?? "memory"): \(error); check that the data directory is writable by this user and the disk is not full")
        }
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

    func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws(ServerAppError) -> T {
        do {
            return try await queue.write(body)
        } catch {
            throw storageError(error)
        }
    }

    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws(ServerAppError) -> T {
        do {
            return try await queue.read(body)
        } catch {
            throw storageError(error)
        }
    }

    func storageError(_ error: any Error) -> ServerAppError {
        ServerAppError(.storage, "the message store \(path ?? "(in memory)") failed: \(error); check the disk and the data directory's permissions")
    }
}
