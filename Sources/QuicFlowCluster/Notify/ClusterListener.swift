public import Logging
import NIOCore
import PostgresNIO
import QuicFlow
import QuicFlowTime
import Synchronization

/// Hears this node's notifications on a dedicated PostgreSQL connection
/// (LISTEN works only there, not through the pool), and keeps hearing them.
///
/// postgres-nio does not LISTEN again after a connection is lost, so this
/// does: it reconnects with backoff, LISTENs again, and then calls
/// `caughtUp` so that the node reads from the tables whatever it may have
/// missed meanwhile. Its backend shows as `quicflow-NODE/listen`. A probe (`SELECT 1`, bounded) every few seconds finds
/// a connection that died without a word (a network partition).
public final class ClusterListener: Sendable {
    /// The channels it listens on: its node's own, and the all-nodes one.
    public let channels: [String]
    private let database: ClusterDatabase
    private let logger: Logger
    private let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5), jitter: 0.2)
    private let probeInterval: Duration
    private let connections = Atomic<Int>(0)
    private let catchUps = Atomic<Int>(0)

    /// A listener on `channels` through `database`'s server.
    public init(database: ClusterDatabase, channels: [String], probeInterval: Duration = .seconds(5), logger: Logger) {
        self.database = database
        self.channels = channels
        self.probeInterval = probeInterval
        self.logger = logger
    }

    /// How many times it connected (the first time included).
    public var connectionCount: Int { connections.load(ordering: .relaxed) }

    /// How many times it LISTENed on every channel and finished catching up:
    /// from then on, nothing sent to this node is missed.
    public var caughtUpCount: Int { catchUps.load(ordering: .relaxed) }

    /// Listens until cancelled.
    /// - Parameters:
    ///   - caughtUp: Called after each LISTEN, before any notice of that connection.
    ///   - notice: Called for each notice, in order; keep it short.
    public func run(
        caughtUp: @escaping @Sendable () async -> Void, notice: @escaping @Sendable (ClusterNotice) async -> Void
    ) async {
        var attempt = 0
        var lost = false
        while !Task.isCancelled {
            do {
                try await listenOnce(caughtUp: caughtUp, notice: notice) {
                    attempt = 0
                    if lost { logger.notice("the cluster's notification connection is back", metadata: ["channels": "\(channels)"]) }
                    lost = false
                }
            } catch where Task.isCancelled {
                return
            } catch {
                // Said once per outage, not at every attempt.
                if !lost {
                    logger.warning("lost the cluster's notification connection; reconnecting", metadata: [
                        "channels": "\(channels)", "error": "\(ClusterDatabase.describe(error, what: "listening").message)",
                    ])
                }
                lost = true
            }
            let delay = backoff.delay(attempt: attempt)
            attempt += 1
            do {
                try await Task.sleep(for: delay)
            } catch {
                return
            }
        }
    }

    /// One connection: LISTEN, catch up, hear notices until it fails.
    private func listenOnce(
        caughtUp: @escaping @Sendable () async -> Void, notice: @escaping @Sendable (ClusterNotice) async -> Void,
        connected: () -> Void
    ) async throws {
        let number = connections.add(1, ordering: .relaxed).newValue
        let connection = try await PostgresConnection.connect(
            configuration: database.connectionConfiguration(role: "listen"), id: number, logger: logger)
        connected()
        do {
            try await hear(on: connection, caughtUp: caughtUp, notice: notice)
        } catch {
            await Self.close(connection)
            throw error
        }
        await Self.close(connection)
    }

    /// LISTENs on `connection` and hears notices until it fails.
    private func hear(
        on connection: PostgresConnection, caughtUp: @escaping @Sendable () async -> Void,
        notice: @escaping @Sendable (ClusterNotice) async -> Void
    ) async throws {
        // Every channel LISTENs before the catch-up, so that nothing sent
        // after the catch-up read the tables can be missed.
        let listening = ListeningCount(channels.count) {
            await caughtUp()
            self.catchUps.add(1, ordering: .relaxed)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for channel in channels {
              group.addTask {
                try await connection.listen(on: channel) { notifications in
                    await listening.one()
                    for try await notification in notifications {
                        guard let parsed = ClusterNotice(payload: notification.payload) else {
                            self.logger.notice("a cluster notice this node does not know; skipped", metadata: [
                                "payload": "\(notification.payload)",
                            ])
                            continue
                        }
                        await notice(parsed)
                    }
                }
              }
            }
            group.addTask { try await self.probe(connection) }
            // Whichever ends first (the connection failed, or the probe found
            // it dead) ends this connection; the caller reconnects. Closing it
            // first ends the notification sequence, which may not heed cancellation.
            do {
                try await group.next()
            } catch {
                Self.closeNow(connection)
                group.cancelAll()
                throw error
            }
            Self.closeNow(connection)
            group.cancelAll()
        }
    }

    /// Starts closing without waiting: the notification sequence then ends.
    private static func closeNow(_ connection: PostgresConnection) {
        let _: EventLoopFuture<Void> = connection.close()
    }

    /// Closes and waits for the channel to be closed (closing a channel
    /// needs no answer from the server); a connection must be closed before
    /// it is released.
    private static func close(_ connection: PostgresConnection) async {
        let closing: EventLoopFuture<Void> = connection.close()
        _ = try? await closing.get()
        _ = try? await connection.closeFuture.get()
    }

    /// Fails once the connection does not answer `SELECT 1` within the
    /// database's call timeout (a query on a dead backend may never return).
    private func probe(_ connection: PostgresConnection) async throws {
        while true {
            try await Task.sleep(for: probeInterval)
            let answered = await Race.withTimeout(database.callTimeout) { () async -> Bool in
                (try? await connection.query("SELECT 1", logger: self.logger)) != nil
            }
            guard answered == true else {
                throw ClusterError(.unavailable, "the notification connection did not answer a probe within \(database.callTimeout.logText)")
            }
        }
    }
}
