import Foundation
import GRDB
import QuicFlow
import QuicFlowTime
import Synchronization

/// The ``ReceivedLog`` in the server's SQLite database (the `received`
/// table): with a data directory it survives a crash, so a device repeating
/// a msg_id whose ACK the crash swallowed is answered from here instead of
/// handled again.
///
/// Rows carry the run (a UUID per process) that is handling them, to tell
/// this run's in-progress rows from those a crashed predecessor left.
/// Begin and answer requests share transactions (``ReceivedJournal``).
final class SQLiteReceivedLog: ReceivedLog {
    private let database: ServerDatabase
    private let wallClock: WallClock
    private let run: String
    private let journal: ReceivedJournal
    /// Answers in the table, kept here so /metrics need not count rows.
    private let answers = Atomic<Int>(0)

    /// The log in `database`. A durable one gives the answers a previous
    /// run remembered a fresh window: devices repeat what a crash left
    /// unacknowledged once the server is back, so the window counts from the
    /// restart, not from before the outage.
    init(_ database: ServerDatabase, wallClock: WallClock = .system) throws(ServerAppError) {
        self.database = database
        self.wallClock = wallClock
        let run = UUID().uuidString
        self.run = run
        journal = ReceivedJournal(queue: database.queue, run: run, wallClock: wallClock)
        let now = wallClock.unixSeconds()
        do {
            let count = try database.queue.write { db in
                try db.execute(sql: "UPDATE received SET received_at = ?", arguments: [now])
                return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM received WHERE state = 'answered'") ?? 0
            }
            answers.store(count, ordering: .relaxed)
        } catch {
            throw database.storageError(error)
        }
    }

    var isDurable: Bool { database.path != nil }

    nonisolated(nonsending) func beginHandling(sender: String, msgID: String) async throws -> ReceivedLookup {
        do {
            return try await journal.begin(sender: sender, msgID: msgID)
        } catch {
            throw database.storageError(error)
        }
    }

    @discardableResult
    nonisolated(nonsending) func recordAnswer(sender: String, msgID: String, _ response: Response) async throws -> Bool {
        let recorded: Bool
        do {
            recorded = try await journal.answer(sender: sender, msgID: msgID, response)
        } catch {
            throw database.storageError(error)
        }
        if recorded { answers.add(1, ordering: .relaxed) }
        return recorded
    }

    nonisolated(nonsending) func forgetHandling(sender: String, msgID: String) async throws {
        try await database.write { db in
            try db.execute(
                sql: "DELETE FROM received WHERE sender = ? AND msg_id = ? AND state = 'handling'",
                arguments: [sender, msgID])
        }
    }

    nonisolated(nonsending) func lookup(sender: String, msgID: String) async throws -> ReceivedLookup? {
        let run = self.run
        return try await database.read { db -> ReceivedLookup? in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT state, run, status, result, error FROM received WHERE sender = ? AND msg_id = ?
                """, arguments: [sender, msgID])
            else { return nil }
            if row["state"] as String == "answered" {
                let status = Response.Status(rawValue: row["status"] as String? ?? "") ?? .failure
                return .answered(Response(
                    status: status, result: Array(row["result"] as Data? ?? Data()), error: row["error"] as String? ?? ""))
            }
            return row["run"] as String == run ? .inProgress : .interrupted
        }
    }

    @discardableResult
    nonisolated(nonsending) func purge(olderThan window: Duration) async throws -> Int {
        let cutoff = wallClock.unixSeconds() - Double(window.wholeMilliseconds) / 1_000
        let run = self.run
        let (answered, handling) = try await database.write { db in
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

    nonisolated(nonsending) func answerCount() async throws -> Int {
        answers.load(ordering: .relaxed)
    }

    /// Every row, answered or not, for tests.
    func rowCount() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM received") ?? 0 }
    }
}
