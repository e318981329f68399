public import Hummingbird
public import Logging
public import QuicFlow
public import ServiceLifecycle
import NIOCore
import QuicFlowHooks
import QuicFlowCluster
import QuicFlowDataDirectory
import Synchronization
#if canImport(Glibc)
import Glibc
import QuicFlowTime
#endif

/// The backbone daemon: a ``BackboneServer``, its admin HTTP API, the
/// message store (store and forward, message states) and the event stream,
/// as swift-service-lifecycle services for one `ServiceGroup`.
///
/// Messages from devices (events, queries, late responses) are streamed on
/// `GET /v1/events`, handed to the on-message hook when there is one, and
/// answered SUCCESS (a query's result is the hook's output).
///
/// ```swift
/// let app = try ServerApp(try settings.validated())
/// await app.prepare()
/// try await ServiceGroup(services: app.services(), logger: logger).run()
/// ```
public final class ServerApp: Sendable {
    /// The QUIC backbone.
    public let server: BackboneServer
    /// The admin API's settings.
    public var admin: AdminConfiguration { configuration.admin }
    private let configuration: ServerAppConfiguration
    private let logger: Logger
    /// The admin API's unicasts (SQLite, on disk or in memory; PostgreSQL in a cluster).
    private let messages: any MessageRepository
    /// Where devices are connected: this node's in a single server, the
    /// whole cluster's in cluster mode.
    private let directory: any ClientDirectory
    /// This node's membership of the cluster, in cluster mode.
    let cluster: ClusterNode?
    /// The data directory's lock, held while the app lives.
    private let lock: DataDirectoryLock?
    /// Where events are published and listened to: the hub, or in a
    /// cluster the cluster-wide stream (whose listeners are on ``eventHub``).
    private let events: any EventSink & EventSource
    /// This process's `GET /v1/events` listeners.
    private let eventHub: EventHub
    private let forwarder: MessageForwarder
    private let hookRunner: HandlerRunner
    private let adminAddress = Mutex<SocketAddress?>(nil)
    private let adminReady: AsyncStream<Void>
    private let adminReadySignal: AsyncStream<Void>.Continuation
    private let backboneReady: AsyncStream<Void>
    private let backboneReadySignal: AsyncStream<Void>.Continuation

    /// Opens the message store and prepares the server; ``services()`` runs it.
    /// - Throws: ``ServerAppError`` (`storage`) when the store under the
    ///   data directory cannot be opened.
    public init(_ configuration: ServerAppConfiguration, logger: Logger = Logger(label: "quicflow.server")) throws(ServerAppError) {
        self.configuration = configuration
        self.logger = logger
        if let directory = configuration.dataDirectory {
            // Before the store: two servers on one store would deliver its queue twice.
            do {
                try DatabaseFiles.prepareDirectory(directory, what: "server data")
                self.lock = try DataDirectoryLock(dataDirectory: directory, owner: .server)
            } catch where error.code == .alreadyRunning {
                throw ServerAppError(.alreadyRunning, error.message)
            } catch {
                throw ServerAppError(.storage, error.message)
            }
        } else {
            self.lock = nil
        }
        let receivedLog: (any ReceivedLog)?
        if let settings = configuration.cluster {
            // Every node's state in one PostgreSQL: any node serves any device.
            let database = ClusterDatabase(
                url: settings.url, password: settings.password, applicationName: "quicflow-\(settings.nodeID)",
                schema: settings.schema, logger: logger)
            let run = NodeRun(nodeID: settings.nodeID)
            let cluster = ClusterNode(database: database, run: run, lease: settings.lease, logger: logger)
            self.cluster = cluster
            self.messages = PostgresMessageRepository(database, run: run, lease: settings.lease)
            self.directory = PostgresClientDirectory(database, run: run, lease: settings.lease)
            receivedLog = PostgresReceivedLog(database, run: run, lease: settings.lease)
        } else {
            let database = try ServerDatabase(directory: configuration.dataDirectory)
            self.cluster = nil
            self.messages = SQLiteMessageRepository(database)
            self.directory = InMemoryClientDirectory()
            // With a data directory, what devices sent survives a crash; without
            // one, the backbone's in-memory msg_id window is all there is.
            receivedLog = database.path == nil ? nil : try SQLiteReceivedLog(database)
        }
        self.server = BackboneServer(
            configuration: configuration.backbone, logger: logger, receivedLog: receivedLog, directory: directory)
        if let cluster {
            let stream = ClusterEventStream(log: cluster.events, nodeID: cluster.registry.run.nodeID)
            self.events = stream
            self.eventHub = stream.hub
        } else {
            let hub = EventHub()
            self.events = hub
            self.eventHub = hub
        }
        self.forwarder = MessageForwarder(
            server: server, messages: messages, events: events,
            receivedWindow: configuration.backbone.deduplicationWindow, retryBackoff: configuration.deliveryBackoff,
            logger: logger)
        self.hookRunner = HandlerRunner(logger: logger)
        (adminReady, adminReadySignal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        (backboneReady, backboneReadySignal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        if let cluster {
            let server = self.server
            let directory = self.directory
            let router = cluster.router
            router.deliverLocally { message, clientID in
                let response = try await server.send(message, to: clientID)
                return message.waitAck ? response : nil
            }
            let broadcaster = cluster.broadcaster
            broadcaster.broadcastLocally { message in await server.broadcast(message) }
            cluster.handleNotices(
                caughtUp: {
                    await Self.reconcileSessions(server: server, directory: directory)
                    await router.catchUp()
                    await broadcaster.catchUp()
                    cluster.events.wake()
                },
                notice: { notice in
                    switch notice {
                    case .supersede(let clientID, let epoch):
                        await server.supersede(clientID: clientID, epoch: epoch)
                    case .deliver(let msgID):
                        router.requestDelivery(msgID)
                    case .done(let msgID):
                        router.completed(msgID)
                    case .broadcast(let id):
                        broadcaster.requestBroadcast(id)
                    case .tally(let id):
                        broadcaster.tallied(id)
                    case .events:
                        cluster.events.wake()
                    }
                })
        }
        if configuration.dataDirectory == nil, configuration.cluster == nil {
            logger.notice("no data directory: queued messages and message states (the newest 10,000) are kept in memory and lost on restart, and a device repeating a message after a restart has it handled again; give --data-dir to keep them")
        }
        if !configuration.backbone.requireClientCertificate {
            // Nothing else ties a session to a device: anyone who reaches the
            // port can register as any client id and receive its commands.
            logger.warning("clients are not authenticated: any client can register under any client id; give --client-ca and --require-client-cert (quicflowctl certs issue makes device certificates)")
        }
    }

    /// Registers the handlers for messages from devices and the hooks that
    /// feed the event stream; call before running.
    public func prepare() async {
        let events = self.events
        let forwarder = self.forwarder
        var hooks = ServerEventHooks()
        hooks.onConnect = { info in
            var event = ServerEvent("connect")
            event.clientID = info.clientID
            event.remoteAddress = info.remoteAddress.hostPort
            events.publish(event)
            forwarder.requestDelivery(to: info.clientID)
        }
        hooks.onDisconnect = { clientID, reason in
            var event = ServerEvent("disconnect")
            event.clientID = clientID
            event.reason = "\(reason)"
            events.publish(event)
        }
        await server.setHooks(hooks)
        for type in [MessageType.event, .query, .response] {
            await server.register(for: type) { [self] message in
                await self.handle(message)
            }
        }
    }

    /// A message from a device, once the backbone's de-duplication (its
    /// ``ReceivedLog``: SQLite with a data directory) let it through: a
    /// repeat of an answered msg_id never reaches here, and one the previous
    /// run began and did not finish comes marked as redelivered, because
    /// whether the hook saw it cannot be known.
    private func handle(_ message: IncomingMessage) async -> QuicFlow.Response {
        if message.redelivered {
            logger.warning("the hook gets QUICFLOW_REDELIVERED=1 for a message the previous run began and did not finish", metadata: [
                "client_id": "\(message.senderID)", "msg_id": "\(message.msgID)",
            ])
        }
        return await process(message, redelivered: message.redelivered)
    }

    /// Streams a message from a device, completes a late result, runs the
    /// hook and says what to answer (SUCCESS; a query's result is the hook's output).
    private func process(_ message: IncomingMessage, redelivered: Bool) async -> QuicFlow.Response {
        logger.info("message from a device", metadata: [
            "client_id": "\(message.senderID)", "type": "\(message.type)", "msg_id": "\(message.msgID)",
            "bytes": "\(message.payload.count)",
        ])
        var event = ServerEvent("message")
        event.clientID = message.senderID
        event.msgID = message.msgID
        event.type = message.type.rawValue
        event.setPayload(message.payload)
        if redelivered { event.redelivered = true }
        if message.type == .response, let late = LateResponse(payload: message.payload) {
            event.inReplyTo = late.inReplyTo
            event.status = late.status.lowercased()
            event.setResult(late.result)
            if let error = late.error, !error.isEmpty { event.error = error }
            await forwarder.complete(late)
        }
        events.publish(event)
        guard let hook = configuration.messageHook else { return .success() }
        let outcome = await hookRunner.run(
            hook.adding(environment: ["QUICFLOW_REDELIVERED": redelivered ? "1" : "0"]),
            message: message, clientID: message.senderID, command: nil)
        guard outcome.status == .success else {
            // The application did not take it: say so, and the device keeps it
            // and sends it again after its backoff.
            logger.warning("the on-message hook failed; the device is answered \(outcome.status) and sends the message again", metadata: [
                "msg_id": "\(message.msgID)", "client_id": "\(message.senderID)", "error": "\(outcome.error)",
            ])
            let reason = "the backbone's on-message hook did not take the message: \(outcome.error)"
            return outcome.status == .timeout ? .timeout(reason) : .failure(reason)
        }
        // A query asks for an answer: the hook's output is it.
        return message.type == .query ? .success(outcome.result) : .success()
    }

    /// After the node's notification connection came back: a device that
    /// registered on another node meanwhile has a newer epoch in the
    /// directory than its session here, which is then closed as superseded.
    private static func reconcileSessions(server: BackboneServer, directory: any ClientDirectory) async {
        for client in await server.clients() {
            guard let presence = try? await directory.lookup(client.clientID) else { continue }
            await server.supersede(clientID: client.clientID, epoch: presence.epoch)
        }
    }

    /// The data directory's lock, the backbone, the store's sweeper and the
    /// admin HTTP server, to run in one `ServiceGroup` in this order
    /// (graceful shutdown goes in reverse: the API stops first, then the
    /// backbone, and the lock is given up last).
    public func services() -> [any Service] {
        let router = AdminAPI.router(
            server: server, forwarder: forwarder, messages: messages, events: events, token: admin.token,
            cluster: cluster.map { ClusterView(node: $0, directory: directory) })
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(admin.host, port: admin.port), serverName: "quicflow-server"),
            onServerRunning: { [weak self] channel in
                self?.adminAddress.withLock { $0 = channel.localAddress }
                self?.adminReadySignal.yield()
                // Unstructured: this callback is synchronous. The backbone
                // may listen before or after the API: whichever is second announces.
                if let self { Task { await self.announceIfListening() } }
            },
            logger: logger)
        let held: [any Service] = lock.map { [DataDirectoryLockService(lock: $0)] } ?? []
        // A node listens once it has joined: its state is in the shared database then.
        let cluster = self.cluster
        let member: [any Service] = cluster.map { [$0] } ?? []
        return held + member + [
            BackboneService(
                server: server, started: backboneReadySignal, before: { await cluster?.ready() },
                listening: { [weak self] in await self?.announceIfListening() }),
            ForwarderService(forwarder: forwarder, events: eventHub, interval: .seconds(1), before: { await cluster?.ready() }),
            application,
        ]
    }

    /// What to tell the operator when the services stop with `error`: a
    /// port already in use is named with its address and the setting that
    /// chose it, instead of NIO's `bind(descriptor:ptr:bytes:)` text.
    public func describe(runError error: any Error) -> String {
        if let error = error as? IOError, error.errnoCode == EADDRINUSE {
            return "the admin API cannot listen on \(admin.host):\(admin.port): the address is already in use (another quicflow-server?); choose another with [admin] listen or --admin-listen"
        }
        if let error = error as? QuicFlowError, error.message.hasPrefix("cannot listen on") {
            let backbone = configuration.backbone
            let inUse = error.message.contains("in use") ? "the address is already in use (another quicflow-server?)" : error.message
            return "the backbone cannot listen on UDP \(backbone.host):\(backbone.port): \(inUse); choose another with [server] listen or --listen"
        }
        return "\(error)"
    }

    /// A round trip through the backbone's actor: the watchdog's proof that
    /// the server still runs.
    public func probe() async {
        _ = await server.localAddress
    }

    /// How many `GET /v1/events` listeners are attached.
    public var eventListenerCount: Int { eventHub.listenerCount }

    /// The backbone's bound UDP address, once it listens (for port 0).
    public func backboneListeningAddress() async -> SocketAddress? {
        if let address = await server.localAddress { return address }
        for await _ in backboneReady { break }
        return await server.localAddress
    }

    /// Tells the cluster where this node listens (as the other nodes and
    /// `quicflowctl cluster` show it) once both the backbone and the admin
    /// API listen; a no-op before, and on a single server.
    private func announceIfListening() async {
        guard let cluster, let admin = adminAddress.withLock({ $0 })?.hostPort,
              let backbone = await server.localAddress?.hostPort
        else { return }
        await cluster.announce(NodeAddresses(admin: "http://\(admin)", backbone: backbone))
    }

    /// The admin API's bound address, once it listens (for port 0).
    public func adminListeningAddress() async -> SocketAddress? {
        if let address = adminAddress.withLock({ $0 }) { return address }
        for await _ in adminReady { break }
        return adminAddress.withLock { $0 }
    }
}
