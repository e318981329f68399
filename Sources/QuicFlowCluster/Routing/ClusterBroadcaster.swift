import Foundation
public import Logging
import NIOCore
import PostgresNIO
public import QuicFlow
public import QuicFlowTime
import Synchronization

/// Cluster-wide broadcast: one row and one NOTIFY per broadcast, not one
/// per device. Every node (the calling one too) hears `broadcast:ID` on the
/// all-nodes channel, sends the row's message to its own devices, writes
/// how many it reached and tells the caller (`tally:ID`), who adds the
/// counts of the nodes that were alive when it began.
public final class ClusterBroadcaster: Sendable {
    private let database: ClusterDatabase
    private let nodeID: String
    private let lease: Duration
    private let wallClock: WallClock
    private let logger: Logger
    private let tallies = RouteWaiters()
    private let local = Mutex<LocalBroadcast?>(nil)

    // A closure kept in a `Mutex` directly is wrapped in two more
    // reabstraction thunks at every `withLock { $0 }` (the inout is written
    // back at the generic abstraction), so each call got slower than the last:
    // a struct keeps it at its own abstraction.
    private struct LocalBroadcast: Sendable {
        let send: @Sendable (Message) async -> Int
    }
    private let requests: AsyncStream<Int64>
    private let requester: AsyncStream<Int64>.Continuation

    /// A broadcaster for `nodeID`.
    public init(database: ClusterDatabase, nodeID: String, lease: Duration, wallClock: WallClock = .system, logger: Logger) {
        self.database = database
        self.nodeID = nodeID
        self.lease = lease
        self.wallClock = wallClock
        self.logger = logger
        (requests, requester) = AsyncStream.makeStream(of: Int64.self)
    }

    /// How this node sends a message to all of its own devices.
    public func broadcastLocally(with body: @escaping @Sendable (Message) async -> Int) {
        local.withLock { $0 = LocalBroadcast(send: body) }
    }

    /// Broadcasts `message` to the devices of every node; waits at most
    /// `timeout` plus a second for the nodes' counts.
    /// - Returns: the devices reached, and how many of the nodes alive at
    ///   the start reported within the wait.
    public func broadcast(_ message: Message, timeout: Duration) async throws(ClusterError) -> (reached: Int, nodes: Int, reporting: Int) {
        let now = wallClock.unixMilliseconds()
        let alive = now - lease.wholeMilliseconds
        let all = ClusterChannel.all(schema: database.schema)
        let ids = try await database.rows("broadcasting", """
            WITH ins AS (
                INSERT INTO qf_broadcast (type, payload, origin_node, nodes, created_at)
                VALUES (\(message.type.rawValue), \(ByteBuffer(bytes: message.payload)), \(nodeID),
                    (SELECT COUNT(*) FROM qf_node WHERE heartbeat_at > \(alive)), \(Double(now) / 1_000))
                RETURNING id, nodes)
            SELECT id, nodes, pg_notify(\(all), 'broadcast:' || id) IS NULL FROM ins
            """) { row in try row.decode((Int64, Int, Bool).self) }
        guard let (id, nodes, _) = ids.first else {
            throw ClusterError(.unavailable, "PostgreSQL stored no broadcast")
        }
        let deadline = ContinuousClock.now + timeout + .seconds(1)
        let key = String(id)
        while true {
            tallies.register(key)
            let (reporting, reached) = try await count(id)
            let remaining = deadline - ContinuousClock.now
            if reporting >= nodes || remaining <= .zero {
                tallies.abandon(key)
                return (reached, nodes, reporting)
            }
            let tallies = self.tallies
            if await Race.withTimeout(remaining, { await tallies.wait(key) }) == nil {
                tallies.abandon(key)
            }
        }
    }

    private func count(_ id: Int64) async throws(ClusterError) -> (Int, Int) {
        try await database.rows("counting broadcast \(id)", """
            SELECT COUNT(*), COALESCE(SUM(reached), 0) FROM qf_broadcast_result WHERE broadcast_id = \(id)
            """) { row in
            let (nodes, reached) = try row.decode((Int64, Int64).self)
            return (Int(nodes), Int(reached))
        }.first ?? (0, 0)
    }

    /// A `tally:ID` notice.
    public func tallied(_ id: Int64) {
        tallies.complete(String(id))
    }

    /// A `broadcast:ID` notice: ``runBroadcasts()`` sends it.
    public func requestBroadcast(_ id: Int64) {
        requester.yield(id)
    }

    /// Runs the requested broadcasts as child tasks until cancelled.
    public func runBroadcasts() async {
        await withDiscardingTaskGroup { group in
            for await id in requests {
                group.addTask { await self.deliver(id) }
            }
        }
    }

    /// Sends broadcast `id` to this node's devices once, and reports the count.
    func deliver(_ id: Int64) async {
        do {
            let rows = try await database.rows("reading broadcast \(id)", """
                SELECT type, payload, origin_node FROM qf_broadcast b WHERE id = \(id) AND NOT EXISTS (
                    SELECT 1 FROM qf_broadcast_result r WHERE r.broadcast_id = b.id AND r.node_id = \(nodeID))
                """) { row in try row.decode((String, ByteBuffer, String).self) }
            guard let (type, payload, origin) = rows.first, let send = local.withLock({ $0 })?.send else { return }
            let reached = await send(Message(type: MessageType(rawValue: type) ?? .event, payload: Array(payload.readableBytesView)))
            let channel = ClusterChannel.node(origin, schema: database.schema)
            try await database.execute("reporting broadcast \(id)", """
                WITH ins AS (
                    INSERT INTO qf_broadcast_result (broadcast_id, node_id, reached) VALUES (\(id), \(nodeID), \(reached))
                    ON CONFLICT DO NOTHING RETURNING broadcast_id)
                SELECT pg_notify(\(channel), 'tally:' || broadcast_id) FROM ins
                """)
        } catch {
            logger.warning("cannot send a cluster broadcast to this node's devices", metadata: [
                "broadcast": "\(id)", "error": "\(error.message)",
            ])
        }
    }

    /// After the notification connection came back: the broadcasts of the
    /// last minute this node has not sent yet, and every caller re-counts.
    public func catchUp() async {
        for key in tallies.pending { tallies.complete(key) }
        let since = Double(wallClock.unixMilliseconds()) / 1_000 - 60
        let missed = (try? await database.rows("reading missed broadcasts", """
            SELECT id FROM qf_broadcast b WHERE created_at > \(since) AND NOT EXISTS (
                SELECT 1 FROM qf_broadcast_result r WHERE r.broadcast_id = b.id AND r.node_id = \(nodeID))
            ORDER BY id
            """) { try $0.decode(Int64.self) }) ?? []
        for id in missed { requestBroadcast(id) }
    }
}
