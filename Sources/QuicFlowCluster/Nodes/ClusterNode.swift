public import Logging
public import QuicFlowTime
public import ServiceLifecycle
import Synchronization

/// This node's membership of the cluster, as a service: it runs the
/// PostgreSQL pool, creates or migrates the schema, joins `qf_node`, and
/// then refreshes the node's heartbeat until it stops.
///
/// The backbone waits for ``ready()`` before it listens: a node serves
/// devices only once its state is in the shared database. While PostgreSQL
/// is away, the heartbeat fails and is retried every interval; the node's
/// devices stop counting for the others once its lease runs out.
public final class ClusterNode: Service, Sendable {
    /// The pool.
    public let database: ClusterDatabase
    /// The node registry of this run.
    public let registry: NodeRegistry
    /// How often the heartbeat is refreshed (a quarter of the lease).
    public let heartbeatInterval: Duration
    private let logger: Logger
    private let clock: any Clock<Duration>
    /// Hears this node's notices once it has joined.
    public let listener: ClusterListener
    /// Cross-node unicast, both ways.
    public let router: ClusterRouter
    /// Cluster-wide broadcast.
    public let broadcaster: ClusterBroadcaster
    /// The cluster-wide event stream.
    public let events: ClusterEventLog
    /// What to do with a notice, and after each (re)LISTEN; set by ``handleNotices(caughtUp:notice:)``.
    private let handlers = Mutex<NoticeHandlers?>(nil)

    private struct NoticeHandlers: Sendable {
        let caughtUp: @Sendable () async -> Void
        let notice: @Sendable (ClusterNotice) async -> Void
    }

    /// Until the node joined (or stopped trying), the continuations of
    /// those waiting in ``ready()``; then `nil`.
    private let waiters = Mutex<[CheckedContinuation<Void, Never>]?>([])

    /// A node of `database` for `run`.
    public init(
        database: ClusterDatabase, run: NodeRun, lease: Duration, wallClock: WallClock = .system,
        clock: any Clock<Duration> = ContinuousClock(), logger: Logger
    ) {
        self.database = database
        self.registry = NodeRegistry(database, run: run, lease: lease, wallClock: wallClock)
        self.heartbeatInterval = lease / 4
        self.router = ClusterRouter(
            database: database, nodeID: run.nodeID, lease: lease, wallClock: wallClock, logger: logger)
        self.broadcaster = ClusterBroadcaster(
            database: database, nodeID: run.nodeID, lease: lease, wallClock: wallClock, logger: logger)
        self.events = ClusterEventLog(database: database, nodeID: run.nodeID, wallClock: wallClock, logger: logger)
        self.listener = ClusterListener(
            database: database,
            channels: [ClusterChannel.node(run.nodeID, schema: database.schema), ClusterChannel.all(schema: database.schema)],
            logger: logger)
        self.logger = logger
        self.clock = clock
    }

    /// Returns once the node has joined (at once if it has), or stopped
    /// before it could. Any number of tasks may wait.
    public func ready() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waiting = waiters.withLock { waiters -> Bool in
                guard waiters != nil else { return false }
                waiters?.append(continuation)
                return true
            }
            if !waiting { continuation.resume() }
        }
    }

    /// Sets what the node does with the notices other nodes send it, and
    /// how it catches up from the tables after its listening connection was
    /// lost; call before ``run()``.
    public func handleNotices(
        caughtUp: @escaping @Sendable () async -> Void, notice: @escaping @Sendable (ClusterNotice) async -> Void
    ) {
        handlers.withLock { $0 = NoticeHandlers(caughtUp: caughtUp, notice: notice) }
    }

    /// Lets every waiter of ``ready()`` go on, now and from now on.
    private func releaseWaiters() {
        for continuation in waiters.withLock({ waiters in defer { waiters = nil }; return waiters ?? [] }) {
            continuation.resume()
        }
    }

    /// Runs the pool, joins, and beats until cancelled or shut down.
    /// - Throws: ``ClusterError`` when the schema is newer than this build
    ///   or another process runs as this node: the server must not run then.
    public func run() async throws {
        // Whoever waits in ready() goes on when the node stops before it joined.
        defer { releaseWaiters() }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.database.run() }
            try await self.join()
            group.addTask { await self.router.runDeliveries() }
            group.addTask { await self.broadcaster.runBroadcasts() }
            group.addTask { await self.events.run() }
            if let handlers = self.handlers.withLock({ $0 }) {
                group.addTask {
                    await cancelWhenGracefulShutdown {
                        await self.listener.run(caughtUp: handlers.caughtUp, notice: handlers.notice)
                    }
                }
            }
            // The pool ends at graceful shutdown too; the beat must not outlive it.
            try await cancelWhenGracefulShutdown { try await self.beat() }
            group.cancelAll()
        }
    }

    /// Migrates and joins, retrying with backoff while PostgreSQL is away.
    private func join() async throws {
        let backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5), jitter: 0.2)
        var attempt = 0
        while true {
            do throws(ClusterError) {
                try await ClusterSchema.migrate(database, wallClock: registry.wallClock)
                try await registry.join()
                logger.notice("joined the cluster", metadata: [
                    "node": "\(registry.run.nodeID)", "database": "\(database.url)", "lease": "\(registry.lease.logText)",
                ])
                releaseWaiters()
                return
            } catch {
                guard error.code == .unavailable else { throw error }
                let delay = backoff.delay(attempt: attempt)
                attempt += 1
                logger.warning("cannot reach the cluster database; retrying", metadata: [
                    "database": "\(database.url)", "error": "\(error.message)", "retry_in": "\(delay.logText)",
                ])
                try await clock.sleep(for: delay)
            }
        }
    }

    /// Tells the other nodes and `quicflowctl cluster` where this node
    /// listens, once it does; a failure is logged (the next start says it again).
    public func announce(_ addresses: NodeAddresses) async {
        do {
            try await registry.announce(addresses)
        } catch {
            logger.warning("cannot record this node's addresses in the cluster database", metadata: ["error": "\(error.message)"])
        }
    }

    /// Refreshes the heartbeat every ``heartbeatInterval``.
    private func beat() async throws {
        var failing = false
        while !Task.isCancelled {
            do {
                try await clock.sleep(for: heartbeatInterval)
            } catch {
                return
            }
            do throws(ClusterError) {
                guard try await registry.beat() else {
                    throw ClusterError(.invalidConfiguration, "another quicflow-server took over node id '\(registry.run.nodeID)' (this node's heartbeat was older than the lease); stop one of them, or give it another --node-id")
                }
                if failing {
                    logger.notice("the cluster database answers again", metadata: ["node": "\(registry.run.nodeID)"])
                    failing = false
                }
            } catch {
                guard error.code == .unavailable else { throw error }
                if !failing {
                    logger.warning("cannot send this node's heartbeat to the cluster database; local sessions go on", metadata: [
                        "error": "\(error.message)",
                    ])
                }
                failing = true
            }
        }
    }
}
