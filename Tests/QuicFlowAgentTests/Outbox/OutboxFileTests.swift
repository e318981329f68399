import Foundation
import GRDB
import QuicFlow
import QuicFlowAgent
import Testing

@Suite("Outbox files")
struct OutboxFileTests {
    @Test("the directory is created 0700 and the database, -wal and -shm files are 0600")
    func fileModes() async throws {
        let directory = try TemporaryDirectory()
        let parent = directory.file("state/agent")
        let path = parent + "/outbox.db"
        let outbox = try Outbox(path: path)
        try await outbox.enqueue(type: .event, payload: [1])
        #expect(try mode(directory.file("state")) == 0o700)
        #expect(try mode(parent) == 0o700)
        for file in [path, path + "-wal", path + "-shm"] {
            #expect(FileManager.default.fileExists(atPath: file), "\(file) exists while the outbox is open")
            #expect(try mode(file) == 0o600, "\(file)")
        }
    }

    @Test("a file from a newer agent is refused, naming its schema version; reopening a current file changes nothing")
    func schemaVersions() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("outbox.db")
        let first = try Outbox(path: path)
        try await first.enqueue(type: .event, payload: [7])
        try first.close()
        let again = try Outbox(path: path)
        #expect(try await again.list().map(\.payload) == [[7]])
        try again.close()

        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in try db.execute(sql: "PRAGMA user_version = 99") }
        try queue.close()
        let error = #expect(throws: AgentError.self) { try Outbox(path: path) }
        #expect(error?.message.contains("schema version 99") == true)
        #expect(error?.message.contains("upgrade quicflow-agent") == true)
    }

    @Test("an existing file with loose permissions is tightened to 0600")
    func tightensExistingFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("outbox.db")
        _ = try Outbox(path: path)
        #expect(chmod(path, 0o644) == 0)
        _ = try Outbox(path: path)
        #expect(try mode(path) == 0o600)
    }

    @Test("a committed row is readable by another connection before the outbox is closed")
    func committedRowVisibleToAnotherConnection() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("outbox.db")
        let outbox = try Outbox(path: path)
        let message = try await outbox.enqueue(type: .event, payload: Array("durable".utf8))

        // A plain SQLite connection, as a restarted agent would open after a crash.
        let other = try DatabaseQueue(path: path)
        let row = try await other.read { db in
            try Row.fetchOne(db, sql: "SELECT msg_id, payload, state FROM messages WHERE id = ?", arguments: [message.id])
                .map { [$0["msg_id"] as String, String(decoding: $0["payload"] as Data, as: UTF8.self), $0["state"] as String] }
        }
        #expect(row == [message.msgID, "durable", "pending"])
        let journal = try await other.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
        withExtendedLifetime(outbox) {}
    }

    @Test(
        "a row committed by a process killed with SIGKILL is there at the next start",
        .enabled(if: ChildProcess.sqlite3 != nil, "needs the sqlite3 shell")
    )
    func survivesKillOfWriter() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("outbox.db")
        do {
            let outbox = try Outbox(path: path)
            try await outbox.enqueue(type: .event, payload: [1])
            try outbox.close()
        }
        // sqlite3 commits a row, then its shell command kills sqlite3 itself
        // with SIGKILL while the connection (and the -wal file) is still open.
        let result = try await ChildProcess.run(try #require(ChildProcess.sqlite3), [path], input: """
            .timeout 5000
            INSERT INTO messages (msg_id, type, payload, wait_ack, state, attempts, created_at, next_attempt_at)
            VALUES ('00000000000000000000000000c0ffee', 'event', X'6b696c6c6564', 1, 'pending', 0, 1, 1);
            .shell kill -9 $PPID
            SELECT 'not reached';
            """)
        #expect(result.reason == .uncaughtSignal && result.status == SIGKILL)

        let reopened = try Outbox(path: path)
        let rows = try await reopened.list()
        #expect(rows.map(\.text) == ["\u{1}", "killed"])
        #expect(rows.last?.msgID == "00000000000000000000000000c0ffee")
        #expect(try await reopened.counts().total == 2, "the trigger-kept count saw the other process's insert")
    }

    private func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? Int ?? -1) & 0o777
    }
}
