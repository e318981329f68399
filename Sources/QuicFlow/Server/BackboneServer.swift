public import Logging
public import NIOCore
import QUICTransport
import QuicFlowProtocol
import QuicFlowTime

/// The backbone server: devices connect, register with a PING, and then
/// exchange messages with it (PROTOCOL.md).
///
/// ```swift
/// let server = BackboneServer(configuration: try ServerConfiguration(certificateFile: "server.pem", keyFile: "server.key"))
/// await server.register(for: .event) { message in .success() }
/// try await ServiceGroup(services: [server], logger: logger).run()   // or start() / stop()
/// let response = try await server.send(Message(type: .command, text: "reboot", waitAck: true), to: "device-7")
/// ```
///
/// Its parts, each with one job: the ``SessionTable`` of live connections
/// and the injectable ``ClientDirectory`` (sessions and eviction, in
/// `BackboneServer+Sessions`), the inbound pipeline with the injectable
/// ``ReceivedLog`` (`+Inbound`), unicast and broadcast (`+Outbound`), and
/// ``ServerMetrics`` (`+Metrics`). The actor serialises them.
public actor BackboneServer {
    /// The configuration the server was made with.
    public nonisolated let configuration: ServerConfiguration
    let logger: Logger
    let exchange: MessageExchange
    let dispatcher: Dispatcher
    /// What was received from devices, for de-duplication.
    public nonisolated let receivedLog: any ReceivedLog
    /// Where connected devices are, for whoever else needs to know.
    let directory: any ClientDirectory
    /// The injected monotonic clock: heartbeats, eviction, timers, uptime.
    let clock: ElapsedClock
    var hooks = ServerEventHooks()
    var handlers: [MessageType: any MessageHandler] = [:]
    var sessions = SessionTable()
    var inFlight = InFlightMessages()
    var activePromises = 0
    var metricsState: ServerMetrics
    var lifecycle = ServerLifecycle.idle
    /// The accept and sweep loops when started with ``start()`` rather than ``run()``.
    private var loops: Task<Void, Never>?

    /// Creates a server; ``run()`` (or ``start()``) binds it.
    /// - Parameters:
    ///   - receivedLog: What it remembers of device messages; by default in
    ///     memory, bounded by the configuration's de-duplication window and capacity.
    ///   - directory: Where it records connected devices; by default in memory.
    ///   - clock: The monotonic clock of heartbeats, eviction and timers.
    public init(
        configuration: ServerConfiguration, logger: Logger = Logger(label: "quicflow.server"),
        receivedLog: (any ReceivedLog)? = nil, directory: any ClientDirectory = InMemoryClientDirectory(),
        clock: any Clock<Duration> = ContinuousClock()
    ) {
        let elapsed = ElapsedClock(clock)
        self.configuration = configuration
        self.logger = logger
        self.clock = elapsed
        self.exchange = MessageExchange(maxMessageSize: configuration.maxMessageSize)
        self.dispatcher = Dispatcher(
            workers: configuration.dispatcherWorkers, queueSize: configuration.dispatcherQueueSize,
            handlerTimeout: configuration.handlerTimeout, clock: elapsed)
        self.receivedLog = receivedLog ?? InMemoryReceivedLog(
            window: configuration.deduplicationWindow, capacity: configuration.deduplicationCapacity, clock: elapsed)
        self.directory = directory
        self.metricsState = ServerMetrics(clock: elapsed)
    }

    /// Replaces the event hooks.
    public func setHooks(_ hooks: ServerEventHooks) {
        self.hooks = hooks
    }

    /// Handles messages of `type` from clients with `handler`.
    public func register(_ handler: any MessageHandler, for type: MessageType) {
        handlers[type] = handler
    }

    /// Handles messages of `type` from clients with a closure.
    public func register(
        for type: MessageType, _ body: @escaping @Sendable (IncomingMessage) async throws -> Response
    ) {
        handlers[type] = ClosureMessageHandler(body)
    }

    /// Binds the UDP socket; the loops are the caller's to run.
    func bind() async throws -> QUICEndpoint {
        guard case .idle = lifecycle else {
            throw QuicFlowError(.invalidConfiguration, "the server was already started; make a new BackboneServer to start again")
        }
        let endpoint: QUICEndpoint
        do {
            endpoint = try await QUICEndpoint.server(
                host: configuration.host, port: configuration.port,
                configuration: configuration.endpointConfiguration, logger: logger)
        } catch {
            throw QuicFlowError(.invalidConfiguration, "cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
        lifecycle = .running(endpoint: endpoint, since: clock.now())
        logger.info("QuicFlow server listening", metadata: ["address": "\(endpoint.localAddress)"])
        return endpoint
    }

    /// The accept loop and the eviction sweep; returns when the endpoint
    /// closes (``stop(deadline:)``).
    nonisolated func runLoops(_ endpoint: QUICEndpoint) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.sweepSilentClients() }
            await self.acceptConnections(endpoint)
            group.cancelAll()
        }
    }

    /// Binds the UDP socket and starts accepting clients, for callers
    /// without a `ServiceGroup`; ``run()`` is the structured form.
    public func start() async throws {
        let endpoint = try await bind()
        // Unstructured because start() returns while the server runs; its
        // owner is this actor, and stop() waits for it.
        loops = Task { await self.runLoops(endpoint) }
    }

    /// Where the server listens, once started.
    public var localAddress: SocketAddress? { lifecycle.endpoint?.localAddress }

    /// Stops: clients are closed with code 7, waiting `send`s fail with
    /// ``QuicFlowError/Code/shuttingDown``, and the socket is released;
    /// waits at most `deadline` for in-flight work to end.
    public func stop(deadline: Duration = .seconds(10)) async {
        guard let endpoint = lifecycle.endpoint else { return }
        lifecycle = .stopped
        sessions.endAll(.serverStopping)
        await withTaskGroup(of: Void.self) { group in
            for connection in sessions.connections {
                group.addTask { await connection.close(errorCode: CloseCode.shuttingDown, reason: "server shutting down") }
            }
        }
        await endpoint.close(code: CloseCode.shuttingDown, reason: "server shutting down")
        if let loops {
            _ = await Race.withTimeout(deadline) { await loops.value }
        }
        logger.info("QuicFlow server stopped")
    }

    // MARK: - Clients

    /// The registered clients (a session the server is ending, for
    /// eviction or shutdown, is no longer listed).
    public func clients() -> [ClientInfo] {
        sessions.live.map { $0.info() }.sorted { $0.clientID < $1.clientID }
    }

    /// One registered client, or `nil`.
    public func clientInfo(_ clientID: String) -> ClientInfo? {
        guard let record = sessions[clientID], record.endedBy == nil else { return nil }
        return record.info()
    }

    /// Acknowledgements awaited right now.
    public var pendingAcknowledgements: Int { activePromises }

    /// Copies of device messages waiting for the first copy's answer, for tests.
    var waitingCopies: Int { inFlight.waitingCopies }
}
