import Foundation
import GRDB
import QuicFlow
import QuicFlowTime
import Synchronization

/// Writes the `received` table (device messages begun and answered) in
/// shared transactions: requests that arrive while one commits wait for the
/// next, which takes them all. Two transactions per message held the daemon
/// to about a fifth of its message rate; a shared commit costs each message
/// a fraction of one.
final class ReceivedJournal: Sendable {
    private enum Request: Sendable {
        case begin(sender: String, msgID: String, CheckedContinuation<ReceivedLookup, any Error>)
        case answer(sender: String, msgID: String, Response, CheckedContinuation<Bool, any Error>)
    }

    private enum Outcome: Sendable {
        case lookup(ReceivedLookup)
        case recorded(Bool)
    }

    private struct Pending {
        var requests: [Request] = []
        /// Whether a task is committing batches; it takes new requests too.
        var draining = false
    }

    private let queue: DatabaseQueue
    /// Marks the rows this process is handling (see ``SQLiteReceivedLog``).
    private let run: String
    private let wallClock: WallClock
    private let pending = Mutex(Pending())

    init(queue: DatabaseQueue, run: String, wallClock: WallClock) {
        self.queue = queue
        self.run = run
        self.wallClock = wallClock
    }

    /// Looks a device message up and, when it is new, records it as being
    /// handled; a row another run left `handling` is taken over.
    func begin(sender: String, msgID: String) async throws -> ReceivedLookup {
        try await withCheckedThrowingContinuation { submit(.begin(sender: sender, msgID: msgID, $0)) }
    }

    /// Records the answer to a message this run is handling.
    /// - Returns: whether a row was answered (`false` when it was purged meanwhile).
    func answer(sender: String, msgID: String, _ response: Response) async throws -> Bool {
        try await withCheckedThrowingContinuation { submit(.answer(sender: sender, msgID: msgID, response, $0)) }
    }

    private func submit(_ request: Request) {
        let start = pending.withLock { pending in
            pending.requests.append(request)
            guard !pending.draining else { return false }
            pending.draining = true
            return true
        }
        // Unstructured on purpose: whichever caller finds no drain running
        // starts one, and it serves every caller, so it belongs to none.
        if start { Task { await self.drain() } }
    }

    /// Commits batches until no request waits.
    private func drain() async {
        while true {
            // Let the callers the last commit woke submit their next requests,
            // so they share the next commit instead of each starting one.
            await Task.yield()
            let batch = pending.withLock { pending in
                let batch = pending.requests
                pending.requests = []
                if batch.isEmpty { pending.draining = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            let run = self.run
            let now = wallClock.unixSeconds()
            do {
                let outcomes = try await queue.write { db in
                    try batch.map { try Self.apply($0, db: db, run: run, now: now) }
                }
                for (request, outcome) in zip(batch, outcomes) {
                    switch (request, outcome) {
                    case (.begin(_, _, let continuation), .lookup(let lookup)):
                        continuation.resume(returning: lookup)
                    case (.answer(_, _, _, let continuation), .recorded(let recorded)):
                        continuation.resume(returning: recorded)
                    default:
                        preconditionFailure("ReceivedJournal.apply answered a request with the other kind of outcome")
                    }
                }
            } catch {
                for request in batch {
                    switch request {
                    case .begin(_, _, let continuation): continuation.resume(throwing: error)
                    case .answer(_, _, _, let continuation): continuation.resume(throwing: error)
                    }
                }
            }
        }
    }

    /// One request inside the batch's transaction; requests for the same
    /// message see each other in arrival order.
    private static func apply(_ request: Request, db: Database, run: String, now: Double) throws -> Outcome {
        switch request {
        case .begin(let sender, let msgID, _):
            let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT state, run, status, result, error FROM received WHERE sender = ? AND msg_id = ?
                """), arguments: [sender, msgID])
            guard let row else {
                try db.cachedStatement(sql: """
                    INSERT INTO received (sender, msg_id, state, run, received_at) VALUES (?, ?, 'handling', ?, ?)
                    """).execute(arguments: [sender, msgID, run, now])
                return .lookup(.new)
            }
            // By index, in the SELECT's order: state, run, status, result, error.
            if row[0] as String == "answered" {
                let status = Response.Status(rawValue: row[2] as String? ?? "") ?? .failure
                let result = row[3] as Data? ?? Data()
                return .lookup(.answered(Response(status: status, result: Array(result), error: row[4] as String? ?? "")))
            }
            if row[1] as String == run { return .lookup(.inProgress) }
            try db.execute(sql: """
                UPDATE received SET run = ?, received_at = ? WHERE sender = ? AND msg_id = ?
                """, arguments: [run, now, sender, msgID])
            return .lookup(.interrupted)
        case .answer(let sender, let msgID, let response, _):
            try db.cachedStatement(sql: """
                UPDATE received SET state = 'answered', status = ?, result = ?, error = ?
                WHERE sender = ? AND msg_id = ? AND state = 'handling'
                """).execute(arguments: [response.status.rawValue, Data(response.result), response.error, sender, msgID])
            return .recorded(db.changesCount > 0)
        }
    }
}
