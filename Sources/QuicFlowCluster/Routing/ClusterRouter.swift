import Foundation
public import Logging
import NIOCore
import PostgresNIO
public import QuicFlow
public import QuicFlowTime
import Synchronization

/// Cross-node unicast: a message for a device held by another node goes
/// there through PostgreSQL, and its outcome comes back.
///
/// The calling node stores the message as a `routed` row (payload in the
/// row, never in a notice) and, in the same statement, notifies the holding
/// node (`deliver:MSG_ID`). That node claims the row (`routed` to `sent`,
/// one `UPDATE`, so it is delivered at most once), sends it to its device,
/// writes the outcome and notifies the caller (`done:MSG_ID`). A lost notice
/// costs time, not the message: the caller reads the row when its wait ends,
/// and a row still `routed` then is expired in one `UPDATE` that the holding
/// node's claim cannot pass any more, so "not delivered" is a certainty.
/// A holding node whose notification connection came back claims the rows
/// routed to it meanwhile (``catchUp()``).
public final class ClusterRouter: Sendable {
    private let database: ClusterDatabase
    private let nodeID: String
    /// How old a node's heartbeat may be for its devices to count.
    private let lease: Duration
    private let wallClock: WallClock
    private let logger: Logger
    private let waiters = RouteWaiters()
    private let sends = Atomic<Int>(0)
    /// Sends a message to a local device and returns its answer (`nil`
    /// when sent without waiting); set by the server before it runs.
    private let deliverer = Mutex<LocalDelivery?>(nil)

    // A closure kept in a `Mutex` directly is wrapped in two more
    // reabstraction thunks at every `withLock { $0 }` (the inout is written
    // back at the generic abstraction), so each call got slower than the last:
    // a struct keeps it at its own abstraction.
    private struct LocalDelivery: Sendable {
        let send: @Sendable (Message, String) async throws -> Response?
    }
    private let deliveryRequests: AsyncStream<String>
    private let deliveryRequester: AsyncStream<String>.Continuation

    /// A router for `nodeID`.
    public init(
        database: ClusterDatabase, nodeID: String, lease: Duration = .seconds(10), wallClock: WallClock = .system,
        logger: Logger
    ) {
        self.database = database
        self.nodeID = nodeID
        self.lease = lease
        self.wallClock = wallClock
        self.logger = logger
        (deliveryRequests, deliveryRequester) = AsyncStream.makeStream(of: String.self)
    }

    /// A `deliver:MSG_ID` notice: ``runDeliveries()`` delivers it, so that
    /// the notices behind it are not held up by the device's answer.
    public func requestDelivery(_ msgID: String) {
        deliveryRequester.yield(msgID)
    }

    /// Runs the requested deliveries as child tasks until cancelled.
    public func runDeliveries() async {
        await withDiscardingTaskGroup { group in
            for await msgID in deliveryRequests {
                group.addTask { await self.deliver(msgID) }
            }
        }
    }

    /// Cross-node unicasts this node sent.
    public var crossNodeSends: Int { sends.load(ordering: .relaxed) }

    /// How this node hands a routed message to its own device.
    public func deliverLocally(with body: @escaping @Sendable (Message, String) async throws -> Response?) {
        deliverer.withLock { $0 = LocalDelivery(send: body) }
    }

    // MARK: - The calling node

    /// Sends `message` to `clientID` when another live node holds it, and
    /// waits at most its timeout plus a second for the outcome.
    ///
    /// Finding the node and routing take one statement: the routed row is
    /// inserted from the device's directory entry, and the holding node is
    /// notified in the same statement.
    /// - Returns: the node and the outcome; `nil` when no other live node
    ///   holds the device (nothing was stored then).
    public func send(_ message: Message, to clientID: String) async throws(ClusterError) -> (node: String, outcome: RoutedOutcome)? {
        let alive = wallClock.unixMilliseconds() - lease.wholeMilliseconds
        return try await route(message, to: clientID) { row in """
            WITH target AS (
                SELECT s.node_id FROM qf_device_session s
                WHERE s.client_id = \(clientID) AND s.connected AND s.node_id <> \(nodeID) AND EXISTS (
                    SELECT 1 FROM qf_node n WHERE n.run_id = s.run_id AND n.heartbeat_at > \(alive))),
            ins AS (
                INSERT INTO qf_message (msg_id, client_id, type, payload, timeout_ms, state, created_at, expires_at,
                    updated_at, late, origin_node, wait_ack, claimed_by)
                SELECT \(row.msgID), \(clientID), \(message.type.rawValue), \(ByteBuffer(bytes: message.payload)),
                    \(row.timeoutMilliseconds), 'routed', \(row.now), \(row.expires), \(row.now), false, \(nodeID),
                    \(message.waitAck), target.node_id
                FROM target
                RETURNING msg_id, claimed_by)
            SELECT ins.claimed_by FROM ins
            CROSS JOIN LATERAL (SELECT pg_notify(\(row.channelPrefix) || ins.claimed_by, 'deliver:' || ins.msg_id)) AS notified
            """
        }
    }

    /// Sends `message` to `clientID` through `node`, as ``send(_:to:)``
    /// does once it found the node (tests route through a node of their choice).
    public func send(_ message: Message, to clientID: String, via node: String) async throws(ClusterError) -> RoutedOutcome {
        let routed = try await route(message, to: clientID) { row in """
            WITH ins AS (
                INSERT INTO qf_message (msg_id, client_id, type, payload, timeout_ms, state, created_at, expires_at,
                    updated_at, late, origin_node, wait_ack, claimed_by)
                VALUES (\(row.msgID), \(clientID), \(message.type.rawValue), \(ByteBuffer(bytes: message.payload)),
                    \(row.timeoutMilliseconds), 'routed', \(row.now), \(row.expires), \(row.now), false, \(nodeID),
                    \(message.waitAck), \(node))
                RETURNING msg_id, claimed_by)
            SELECT ins.claimed_by FROM ins
            CROSS JOIN LATERAL (SELECT pg_notify(\(row.channelPrefix) || ins.claimed_by, 'deliver:' || ins.msg_id)) AS notified
            """
        }
        return routed?.outcome ?? .noAnswer(taken: false)
    }

    /// What a routing statement needs besides the message.
    private struct RoutedRow {
        let msgID: String
        let timeoutMilliseconds: Int
        let now: Double
        let expires: Double
        let channelPrefix: String
    }

    /// Runs `insert` (which stores the routed row, notifies its node and
    /// returns that node, or no row) and waits for the outcome.
    private func route(
        _ message: Message, to clientID: String, _ insert: (RoutedRow) -> PostgresQuery
    ) async throws(ClusterError) -> (node: String, outcome: RoutedOutcome)? {
        let msgID = message.msgID ?? UUID().uuidString
        let timeout = message.timeout ?? .seconds(30)
        let now = wallClock.unixSeconds()
        let row = RoutedRow(
            msgID: msgID, timeoutMilliseconds: Int(timeout.wholeMilliseconds), now: now,
            expires: now + Double(timeout.wholeMilliseconds) / 1_000,
            channelPrefix: ClusterChannel.prefix(schema: database.schema))
        waiters.register(msgID)
        let node: String?
        do {
            node = try await database.rows("routing message \(msgID) to \(clientID)", insert(row)) {
                try $0.decode(String.self)
            }.first
        } catch {
            waiters.abandon(msgID)
            throw error
        }
        guard let node else {
            waiters.abandon(msgID)
            return nil
        }
        sends.add(1, ordering: .relaxed)
        return (node, try await awaitOutcome(of: msgID, timeout: timeout))
    }

    /// Waits for the done-notice of `msgID` (at most `timeout` plus a
    /// second), then reads the outcome.
    private func awaitOutcome(of msgID: String, timeout: Duration) async throws(ClusterError) -> RoutedOutcome {
        let waiters = self.waiters
        if await Race.withTimeout(timeout + .seconds(1), { await waiters.wait(msgID) }) == nil {
            waiters.abandon(msgID)
        }
        // The message may have run on the device: a killed backend must not
        // turn its answer into a 503.
        return try await database.retrying { () throws(ClusterError) in try await outcome(of: msgID) }
    }

    /// The row's outcome; a row nobody took is expired now, so that nobody can.
    /// One statement: the expiry, and the row as it was before it.
    private func outcome(of msgID: String) async throws(ClusterError) -> RoutedOutcome {
        let now = wallClock.unixSeconds()
        let rows = try await database.rows("reading the outcome of \(msgID)", """
            WITH gone AS (
                UPDATE qf_message SET state = 'expired', updated_at = \(now), error = 'no node took it in time'
                WHERE msg_id = \(msgID) AND state = 'routed'
                RETURNING msg_id)
            SELECT (SELECT COUNT(*) FROM gone), state, status, result, error FROM qf_message WHERE msg_id = \(msgID)
            """) { row in try row.decode((Int, String, String?, ByteBuffer?, String?).self) }
        guard let (expired, state, status, result, error) = rows.first, expired == 0 else { return .noAnswer(taken: false) }
        if state == "routed" {
            // The holding node's claim committed while this statement waited
            // for its row lock: the row read above is from before it.
            let again = try await database.rows("reading the outcome of \(msgID)", """
                SELECT state, status, result, error FROM qf_message WHERE msg_id = \(msgID)
                """) { row in try row.decode((String, String?, ByteBuffer?, String?).self) }
            guard let (state, status, result, error) = again.first else { return .noAnswer(taken: false) }
            return Self.outcome(state: state, status: status, result: result, error: error)
        }
        return Self.outcome(state: state, status: status, result: result, error: error)
    }

    private static func outcome(state: String, status: String?, result: ByteBuffer?, error: String?) -> RoutedOutcome {
        switch (state, status) {
        case ("delivered", let status?), ("sent", let status?):
            return .answered(status: status, result: Data(result.map { Array($0.readableBytesView) } ?? []), error: error ?? "")
        case ("sent", nil) where error == nil:
            return .noAnswer(taken: true)
        case ("delivered", nil):
            return .sent
        default:
            return .notConnected(error ?? "the device's node could not deliver it")
        }
    }

    /// A `done:MSG_ID` notice: the caller of `msgID` reads its row.
    public func completed(_ msgID: String) {
        waiters.complete(msgID)
    }

    // MARK: - The holding node

    /// Claims the row, sends it to the local device, records the outcome
    /// and tells the calling node.
    func deliver(_ msgID: String) async {
        do {
            // Retried: a claim whose backend died was rolled back, and the
            // caller would otherwise wait out its timeout for nothing.
            guard let (message, clientID, origin) = try await database.retrying({ () throws(ClusterError) in
                try await claim(msgID)
            }) else { return }
            guard let send = deliverer.withLock({ $0 })?.send else { return }
            let state: String
            var status: String?
            var result = Data()
            var error: String?
            do {
                if let response = try await send(message, clientID) {
                    state = response.status == .timeout ? "sent" : "delivered"
                    status = response.status.rawValue
                    result = Data(response.result)
                    error = response.error
                } else {
                    state = "delivered"
                }
            } catch let failure as QuicFlowError where failure.code == .unknownClient {
                state = "expired"
                error = "client \(clientID) is no longer connected to node \(nodeID)"
            } catch let failure {
                state = "expired"
                error = "node \(nodeID) could not deliver it: \(failure)"
            }
            let now = wallClock.unixSeconds()
            let channel = ClusterChannel.node(origin, schema: database.schema)
            // Retried: the device ran it, and its answer must reach the caller.
            try await database.retrying { () throws(ClusterError) in
                try await database.execute("recording the outcome of routed message \(msgID)", """
                    WITH up AS (
                        UPDATE qf_message SET state = \(state), status = \(status), result = \(ByteBuffer(bytes: result)),
                            error = \(error), updated_at = \(now)
                        WHERE msg_id = \(msgID) RETURNING msg_id)
                    SELECT pg_notify(\(channel), 'done:' || msg_id) FROM up
                    """)
            }
        } catch {
            logger.warning("cannot deliver a message routed to this node", metadata: [
                "msg_id": "\(msgID)", "error": "\(ClusterDatabase.describe(error, what: "routing").message)",
            ])
        }
    }

    /// Takes a routed row for this node, unless it expired or was taken.
    private func claim(_ msgID: String) async throws(ClusterError) -> (Message, String, String)? {
        let now = wallClock.unixSeconds()
        return try await database.rows("claiming routed message \(msgID)", """
            UPDATE qf_message SET state = 'sent', updated_at = \(now)
            WHERE msg_id = \(msgID) AND state = 'routed' AND claimed_by = \(nodeID) AND expires_at > \(now)
            RETURNING client_id, type, payload, timeout_ms, wait_ack, origin_node
            """) { row in
            let (clientID, type, payload, timeout, waitAck, origin) = try row.decode(
                (String, String, ByteBuffer, Int, Bool, String).self)
            var message = Message(
                type: MessageType(rawValue: type) ?? .command, payload: Array(payload.readableBytesView),
                waitAck: waitAck, timeout: .milliseconds(timeout))
            message.msgID = msgID
            return (message, clientID, origin)
        }.first
    }

    /// After the notification connection came back: delivers what was
    /// routed to this node meanwhile, and lets every waiting caller read its row.
    public func catchUp() async {
        for msgID in waiters.pending { waiters.complete(msgID) }
        let now = wallClock.unixSeconds()
        let routed = (try? await database.rows("reading messages routed to this node", """
            SELECT msg_id FROM qf_message WHERE state = 'routed' AND claimed_by = \(nodeID) AND expires_at > \(now)
            ORDER BY seq
            """) { try $0.decode(String.self) }) ?? []
        for msgID in routed { requestDelivery(msgID) }
    }
}
