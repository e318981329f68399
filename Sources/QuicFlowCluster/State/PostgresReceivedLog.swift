import NIOCore
public import QuicFlow
import PostgresNIO
public import QuicFlowTime

/// The ``ReceivedLog`` in the cluster's `qf_received` table: every node
/// answers a device's repeat from it, so a message that node A handled and
/// answered, and whose ACK A's death swallowed, is not handled again when
/// the device sends it to node B.
///
/// A row being handled carries the run (``NodeRun``) that handles it. To
/// another node it is in progress while that run is alive (its node's row
/// in `qf_node` still names it, with a heartbeat younger than the lease),
/// and interrupted once it is not: the first node to see it then takes it
/// over and handles it again, flagged redelivered.
///
/// The hot path is one statement: `INSERT … ON CONFLICT DO NOTHING`
/// decides who handles a new message.
public final class PostgresReceivedLog: ReceivedLog {
    private let database: ClusterDatabase
    private let run: NodeRun
    private let wallClock: WallClock
    private let lease: Duration

    /// The log on `database`, for the messages `run` handles; a run is dead
    /// to the others once its node's heartbeat is older than `lease`.
    public init(_ database: ClusterDatabase, run: NodeRun, lease: Duration, wallClock: WallClock = .system) {
        self.database = database
        self.run = run
        self.lease = lease
        self.wallClock = wallClock
    }

    public var isDurable: Bool { true }

    public nonisolated(nonsending) func beginHandling(sender: String, msgID: String) async throws -> ReceivedLookup {
        let now = wallClock.unixMilliseconds()
        let runID = run.runID
        // A row forgotten between the insert and the read is new again: try twice.
        for _ in 0..<3 {
            let inserted = try await database.execute("recording message \(msgID) from \(sender)", """
                INSERT INTO qf_received (client_id, msg_id, state, run_id, received_at)
                VALUES (\(sender), \(msgID), 'handling', \(runID), \(now))
                ON CONFLICT DO NOTHING RETURNING 1
                """)
            if inserted == 1 { return .new }
            guard let found = try await read(sender: sender, msgID: msgID) else { continue }
            guard case .interrupted(let deadRun) = found else { return found.lookup }
            // Take it over from the dead run; of several nodes, one wins.
            let taken = try await database.execute("taking over message \(msgID) from \(sender)", """
                UPDATE qf_received SET run_id = \(runID), received_at = \(now)
                WHERE client_id = \(sender) AND msg_id = \(msgID) AND state = 'handling' AND run_id = \(deadRun)
                RETURNING 1
                """)
            return taken == 1 ? .interrupted : .inProgress
        }
        return .inProgress
    }

    @discardableResult
    public nonisolated(nonsending) func recordAnswer(sender: String, msgID: String, _ response: Response) async throws -> Bool {
        let now = wallClock.unixMilliseconds()
        return try await database.execute("recording the answer to \(msgID) from \(sender)", """
            UPDATE qf_received SET state = 'answered', status = \(response.status.rawValue),
                result = \(ByteBuffer(bytes: response.result)), error = \(response.error), received_at = \(now)
            WHERE client_id = \(sender) AND msg_id = \(msgID) AND state = 'handling' AND run_id = \(run.runID)
            RETURNING 1
            """) == 1
    }

    public nonisolated(nonsending) func forgetHandling(sender: String, msgID: String) async throws {
        try await database.execute("forgetting message \(msgID) from \(sender)", """
            DELETE FROM qf_received
            WHERE client_id = \(sender) AND msg_id = \(msgID) AND state = 'handling' AND run_id = \(run.runID)
            """)
    }

    public nonisolated(nonsending) func lookup(sender: String, msgID: String) async throws -> ReceivedLookup? {
        try await read(sender: sender, msgID: msgID)?.lookup
    }

    @discardableResult
    public nonisolated(nonsending) func purge(olderThan window: Duration) async throws -> Int {
        let now = wallClock.unixMilliseconds()
        let cutoff = now - window.wholeMilliseconds
        let alive = now - lease.wholeMilliseconds
        return try await database.execute("purging the received log", """
            DELETE FROM qf_received r WHERE r.received_at <= \(cutoff) AND (r.state = 'answered' OR (
                r.run_id <> \(run.runID) AND NOT EXISTS (
                    SELECT 1 FROM qf_node n WHERE n.run_id = r.run_id AND n.heartbeat_at > \(alive))))
            RETURNING 1
            """)
    }

    public nonisolated(nonsending) func answerCount() async throws -> Int {
        try await database.rows("counting the received log's answers", """
            SELECT COUNT(*) FROM qf_received WHERE state = 'answered'
            """) { try $0.decode(Int.self) }.first ?? 0
    }

    /// What a row says, with the run to take it over from when that run is dead.
    private enum Found {
        case answered(Response)
        case inProgress
        case interrupted(deadRun: String)

        var lookup: ReceivedLookup {
            switch self {
            case .answered(let response): .answered(response)
            case .inProgress: .inProgress
            case .interrupted: .interrupted
            }
        }
    }

    private func read(sender: String, msgID: String) async throws -> Found? {
        let alive = wallClock.unixMilliseconds() - lease.wholeMilliseconds
        let runID = run.runID
        return try await database.rows("looking up message \(msgID) from \(sender)", """
            SELECT r.state, r.run_id, r.status, r.result, r.error,
                EXISTS (SELECT 1 FROM qf_node n WHERE n.run_id = r.run_id AND n.heartbeat_at > \(alive))
            FROM qf_received r WHERE r.client_id = \(sender) AND r.msg_id = \(msgID)
            """) { row -> Found in
            let (state, owner, status, result, error, ownerAlive) = try row.decode(
                (String, String, String?, ByteBuffer?, String?, Bool).self)
            if state == "answered" {
                let answer = Response(
                    status: Response.Status(rawValue: status ?? "") ?? .failure,
                    result: result.map { Array($0.readableBytesView) } ?? [], error: error ?? "")
                return .answered(answer)
            }
            return owner == runID || ownerAlive ? .inProgress : .interrupted(deadRun: owner)
        }.first
    }
}
