import Foundation
public import Logging
import PostgresNIO
public import QuicFlowTime
import Synchronization

/// The cluster's event stream, in `qf_event`: every node appends what
/// happens on it, and every node reads back all of it in id order for its
/// own `GET /v1/events` listeners, so the ids are the same on every node
/// and a `Last-Event-ID` from one node resumes on any other.
///
/// Appending never blocks the caller: events wait in a bounded buffer and
/// one writer inserts them in batches. Each batch takes a per-schema
/// advisory lock, so ids commit in the order they were given; a reader
/// that has seen id N has then seen every id below it. The batch ends with
/// one NOTIFY (`events:ID`) on the all-nodes channel, which wakes the
/// readers; they also look every second, so a lost notice costs a second.
///
/// While PostgreSQL is away, the writer retries with backoff and keeps up
/// to ``pendingLimit`` events; beyond that the oldest are dropped and
/// counted, and the log says so.
public final class ClusterEventLog: Sendable {
    /// Events kept while they cannot be written.
    public static let pendingLimit = 10_000
    /// Events per INSERT.
    static let batchSize = 500
    /// How long the table keeps events for resuming listeners.
    public static let retention: Duration = .seconds(24 * 3_600)
    /// The advisory lock that orders the appends (the migrations' class, a key per schema).
    static let appendLock = "pg_advisory_xact_lock(1363561551, hashtext(current_schema() || '.events'))"
    static let purgeLock = "pg_try_advisory_xact_lock(1363561551, hashtext(current_schema() || '.events-purge'))"

    private let database: ClusterDatabase
    private let nodeID: String
    private let wallClock: WallClock
    private let logger: Logger
    private let pending = Mutex<(bodies: [String], dropped: Int)>(([], 0))
    private let writes: AsyncStream<Void>
    private let writer: AsyncStream<Void>.Continuation
    private let reads: AsyncStream<Void>
    private let reader: AsyncStream<Void>.Continuation
    /// Signals the writer once the reader knows where it starts, so that
    /// nothing this node writes falls before that start.
    private let readerStarted: AsyncStream<Void>
    private let readerStart: AsyncStream<Void>.Continuation
    private let deliver = Mutex<Delivery?>(nil)

    // A closure kept in a `Mutex` directly is wrapped in two more
    // reabstraction thunks at every `withLock { $0 }` (the inout is written
    // back at the generic abstraction), so each call got slower than the last:
    // a struct keeps it at its own abstraction.
    private struct Delivery: Sendable {
        let call: @Sendable ([ClusterEventEntry]) async -> Void
    }

    /// The log of `nodeID` on `database`.
    public init(database: ClusterDatabase, nodeID: String, wallClock: WallClock = .system, logger: Logger) {
        self.database = database
        self.nodeID = nodeID
        self.wallClock = wallClock
        self.logger = logger
        (writes, writer) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (reads, reader) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (readerStarted, readerStart) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Where the events read back go, in id order; set before ``run()``.
    public func deliverTo(_ body: @escaping @Sendable ([ClusterEventEntry]) async -> Void) {
        deliver.withLock { $0 = Delivery(call: body) }
    }

    /// Queues `body` (an encoded event) for the table; never blocks.
    public func append(_ body: String) {
        pending.withLock { pending in
            pending.bodies.append(body)
            if pending.bodies.count > Self.pendingLimit {
                pending.bodies.removeFirst(pending.bodies.count - Self.pendingLimit)
                pending.dropped += 1
            }
        }
        writer.yield()
    }

    /// An `events:ID` notice, or a new LISTEN: read what is new.
    public func wake() {
        reader.yield()
    }

    /// Writes and reads until cancelled; events still waiting then are
    /// not written (the stream is a record of what happened, not a queue).
    public func run() async {
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.writeLoop() }
                group.addTask { await self.readLoop() }
                group.addTask {
                    // The readers' fallback for a lost notice.
                    while (try? await Task.sleep(for: .seconds(1))) != nil { self.reader.yield() }
                }
            }
        } onCancel: {
            writer.finish()
            reader.finish()
            readerStart.finish()
        }
    }

    // MARK: - Writing

    private func writeLoop() async {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5), jitter: 0.2)
        for await _ in readerStarted { break }
        for await _ in writes {
            var failures = 0
            while let batch = takeBatch() {
                do throws(ClusterError) {
                    try await insert(batch)
                    if failures > 0 {
                        logger.notice("events are written to the cluster database again")
                    }
                    failures = 0
                } catch {
                    putBack(batch)
                    if failures == 0 {
                        logger.warning("cannot write events to the cluster database; they wait in memory (at most \(Self.pendingLimit))", metadata: [
                            "error": "\(error.message)",
                        ])
                    }
                    do {
                        try await Task.sleep(for: backoff.delay(attempt: failures))
                    } catch {
                        return
                    }
                    failures += 1
                }
            }
        }
    }

    private func takeBatch() -> [String]? {
        let (batch, dropped) = pending.withLock { pending in
            let batch = Array(pending.bodies.prefix(Self.batchSize))
            pending.bodies.removeFirst(batch.count)
            defer { pending.dropped = 0 }
            return (batch, pending.dropped)
        }
        if dropped > 0 {
            logger.error("dropped events the cluster database could not take in time", metadata: ["dropped": "\(dropped)"])
        }
        return batch.isEmpty ? nil : batch
    }

    private func putBack(_ batch: [String]) {
        pending.withLock { pending in
            pending.bodies.insert(contentsOf: batch, at: 0)
            if pending.bodies.count > Self.pendingLimit {
                let excess = pending.bodies.count - Self.pendingLimit
                pending.bodies.removeFirst(excess)
                pending.dropped += excess
            }
        }
    }

    /// One statement: the ordering lock, the rows, the notice.
    private func insert(_ bodies: [String]) async throws(ClusterError) {
        let channel = ClusterChannel.all(schema: database.schema)
        try await database.execute("writing \(bodies.count) events", """
            WITH ordered AS (SELECT \(unescaped: Self.appendLock)),
            ins AS (
                INSERT INTO qf_event (at, node_id, body)
                SELECT \(wallClock.unixMilliseconds()), \(nodeID), t.body
                FROM ordered, unnest(\(bodies)::text[]) WITH ORDINALITY AS t(body, n) ORDER BY t.n
                RETURNING id)
            SELECT pg_notify(\(channel), 'events:' || max(id)) FROM ins
            """)
    }

    // MARK: - Reading

    private func readLoop() async {
        // A node's listeners get what happens from its start on; older
        // events are for resuming (entries(after:limit:)).
        var newest: Int64 = 0
        var attempt = 0
        while true {
            do throws(ClusterError) {
                newest = try await bounds().newest ?? 0
                break
            } catch {
                if attempt == 0 {
                    logger.warning("cannot read the cluster's event table; retrying", metadata: ["error": "\(error.message)"])
                }
                guard (try? await Task.sleep(for: Backoff(initial: .milliseconds(100), maximum: .seconds(5), jitter: 0.2).delay(attempt: attempt))) != nil else {
                    return
                }
                attempt += 1
            }
        }
        readerStart.yield()
        var failing = false
        var nextPurge = ContinuousClock.now
        for await _ in reads {
            do throws(ClusterError) {
                while true {
                    let entries = try await self.entries(after: newest, limit: 1_000)
                    guard let last = entries.last else { break }
                    newest = last.id
                    await deliver.withLock({ $0 })?.call(entries)
                    if entries.count < 1_000 { break }
                }
                if ContinuousClock.now >= nextPurge {
                    nextPurge = ContinuousClock.now + .seconds(3_600)
                    try await purge()
                }
                if failing { logger.notice("events are read from the cluster database again") }
                failing = false
            } catch {
                if Task.isCancelled { return }
                if !failing {
                    logger.warning("cannot read events from the cluster database; this node's listeners wait", metadata: [
                        "error": "\(error.message)",
                    ])
                }
                failing = true
            }
        }
    }

    /// The events after `id`, oldest first, at most `limit`.
    public func entries(after id: Int64, limit: Int) async throws(ClusterError) -> [ClusterEventEntry] {
        try await database.rows("reading events after \(id)", """
            SELECT id, node_id, body FROM qf_event WHERE id > \(id) ORDER BY id LIMIT \(limit)
            """) { row in
            let (id, node, body) = try row.decode((Int64, String, String).self)
            return ClusterEventEntry(id: id, nodeID: node, body: body)
        }
    }

    /// The oldest and newest ids in the table (`nil`s when it is empty),
    /// and the newest id ever given out (0 for none), purged or not.
    public func bounds() async throws(ClusterError) -> (oldest: Int64?, newest: Int64?, assigned: Int64) {
        try await database.rows("reading the event table's bounds", """
            SELECT min(id), max(id), (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM qf_event_id_seq)
            FROM qf_event
            """) { try $0.decode((Int64?, Int64?, Int64).self) }.first ?? (nil, nil, 0)
    }

    /// Drops events past ``retention``; one node at a time.
    private func purge() async throws(ClusterError) {
        let cutoff = wallClock.unixMilliseconds() - Self.retention.wholeMilliseconds
        try await database.execute("purging old events", """
            WITH purger AS (SELECT \(unescaped: Self.purgeLock) AS mine)
            DELETE FROM qf_event USING purger WHERE purger.mine AND at < \(cutoff)
            """)
    }
}
