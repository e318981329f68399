import GRDB

/// The outbox's tables, as numbered migrations recorded in `PRAGMA
/// user_version`: a file written by an older agent is upgraded in place,
/// and a file from a newer agent is refused.
///
/// Several processes may open a new file at the same moment (the agent and
/// `quicflow-agent send`), so the version check and the upgrade happen in
/// one IMMEDIATE transaction: the second process waits for the first and
/// then finds nothing left to do. (GRDB's DatabaseMigrator checks outside
/// its transaction, which lets two processes run the same migration.)
enum OutboxSchema {
    /// Migration `n` (from 0) brings a file from version `n` to `n + 1`.
    static let migrations: [String] = [
        // v1
            """
                CREATE TABLE messages (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    msg_id TEXT NOT NULL UNIQUE,
                    type TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    wait_ack INTEGER NOT NULL,
                    state TEXT NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'in_flight', 'dead')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,
                    last_attempt_at INTEGER,
                    last_error TEXT,
                    next_attempt_at INTEGER NOT NULL
                );
                CREATE INDEX messages_by_state ON messages(state, id);

                -- A row count kept by triggers, so that the max_messages
                -- check on every enqueue is one row read, not a count of
                -- up to max_messages rows.
                CREATE TABLE message_count (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    total INTEGER NOT NULL
                );
                INSERT INTO message_count (id, total) VALUES (1, 0);
                CREATE TRIGGER messages_counted_insert AFTER INSERT ON messages BEGIN
                    UPDATE message_count SET total = total + 1 WHERE id = 1;
                END;
                CREATE TRIGGER messages_counted_delete AFTER DELETE ON messages BEGIN
                    UPDATE message_count SET total = total - 1 WHERE id = 1;
                END;

                CREATE TABLE history (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    msg_id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    status TEXT NOT NULL,
                    error TEXT NOT NULL DEFAULT '',
                    attempts INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL,
                    delivered_at INTEGER NOT NULL
                );

                CREATE TABLE agent_state (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL,
                    updated_at INTEGER NOT NULL
                ) WITHOUT ROWID;

                CREATE TABLE handler_runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL,
                    status TEXT NOT NULL,
                    duration_ms INTEGER NOT NULL,
                    finished_at INTEGER NOT NULL,
                    error TEXT NOT NULL DEFAULT ''
                );
            """,
        // v2: the server's answer to each delivered message, for
        // `quicflow-agent send --wait`; and the outcome of each server
        // command by msg_id, so a repeated command is answered from here
        // rather than run again, also after a restart or a kill -9.
            """
                ALTER TABLE history ADD COLUMN result BLOB;
                CREATE INDEX history_by_msg_id ON history(msg_id);

                CREATE TABLE command_results (
                    msg_id TEXT PRIMARY KEY NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('running', 'done')),
                    status TEXT,
                    result BLOB,
                    error TEXT NOT NULL DEFAULT '',
                    started_at INTEGER NOT NULL,
                    finished_at INTEGER
                ) WITHOUT ROWID;
                CREATE INDEX command_results_by_start ON command_results(started_at);
            """,
        // v3: the backbone's answer to a message's last failed attempt
        // (failure or timeout), so `send --wait` can report a FAILURE
        // while the message stays queued for its next try.
            """
                ALTER TABLE messages ADD COLUMN last_status TEXT;
            """,
        // v4: the process group of each running handler (its leader's pid
        // and start time, in the boot they belong to), so that an agent
        // restarting after a crash ends what its predecessor left running.
            """
                CREATE TABLE running_handlers (
                    pgid INTEGER PRIMARY KEY,
                    executable TEXT NOT NULL,
                    started_at INTEGER NOT NULL,
                    boot_id TEXT NOT NULL,
                    leader_start INTEGER NOT NULL
                );
            """,
    ]

    /// Brings the file at `queue` up to the newest version.
    /// - Throws: ``AgentError`` (`storage`) when the file comes from a
    ///   newer agent; SQLite's errors otherwise.
    static func migrate(_ queue: DatabaseQueue, path: String) throws {
        // The common case, an up-to-date file, is a read: a write here
        // would wake every other process watching the file for changes.
        let current = try queue.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
        if current == migrations.count { return }
        try queue.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                var version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                if version == 0, try db.tableExists("grdb_migrations") {
                    // Files from the first development builds recorded GRDB's migrator.
                    version = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grdb_migrations") ?? 0
                }
                if version > migrations.count {
                    throw AgentError(.storage, "the outbox \(path) has schema version \(version), newer than this agent understands (\(migrations.count)); upgrade quicflow-agent")
                }
                guard version < migrations.count else { return .commit }
                for sql in migrations[version...] {
                    try db.execute(sql: sql)
                }
                try db.execute(sql: "PRAGMA user_version = \(migrations.count)")
                return .commit
            }
        }
    }
}
