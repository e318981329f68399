import GRDB

/// The outbox's tables, as numbered migrations: a file written by an older
/// agent is upgraded in place, and a newer file is refused by GRDB.
enum OutboxSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // AUTOINCREMENT so that ids are never reused: the id is the
            // delivery order, even after the newest rows were deleted.
            try db.execute(sql: """
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
                """)
        }
        migrator.registerMigration("v2") { db in
            // The server's answer to each delivered message, for
            // `quicflow-agent send --wait`; and the outcome of each server
            // command by msg_id, so a repeated command is answered from here
            // rather than run again, also after a restart or a kill -9.
            try db.execute(sql: """
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
                """)
        }
        return migrator
    }
}
