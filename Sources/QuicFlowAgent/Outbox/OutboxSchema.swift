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
        return migrator
    }
}
