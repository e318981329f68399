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
/// try await server.start()
/// let response = try await server.send(Message(type: .command, text: "reboot", waitAck: true), to: "device-7")
/// ```
public actor BackboneServer {
    /// The configuration the server was made with.
    public nonisolated let configuration: ServerConfiguration
    private let logger: Logger
    private let exchange: MessageExchange
    private let dispatcher: Dispatcher
    private var hooks = ServerEventHooks()
    private var handlers: [MessageType: any MessageHandler] = [:]
    private var sessions: [String: SessionRecord] = [:]
    private var deduplication: DeduplicationWindow
    private var activePromises = 0
    private var counters = ServerCounters()
    private var endpoint: QUICEndpoint?
    private var acceptTask: Task<Void, Never>?
    private var sweepTask: Task<Void, Never>?
    private var running = false
    private var stopped = false
    private var startedAt = ContinuousClock.now
    private var latency = LatencyRecorder()
    private var throughput = ThroughputWindow()
    private let exporter = PrometheusExporter()

    /// Creates a server; ``start()`` binds it.
    public init(configuration: ServerConfiguration, logger: Logger = Logger(label: "quicflow.server")) {
        self.configuration = configuration
        self.logger = logger
        self.exchange = MessageExchange(maxMessageSize: configuration.maxMessageSize)
        self.dispatcher = Dispatcher(
            workers: configuration.dispatcherWorkers, queueSize: configuration.dispatcherQueueSize,
            handlerTimeout: configuration.handlerTimeout)
        self.deduplication = DeduplicationWindow(
            window: configuration.deduplicationWindow, capacity: configuration.deduplicationCapacity)
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

    /// Binds the UDP socket and starts accepting clients.
    public func start() async throws {
        guard !running, !stopped else {
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
        self.endpoint = endpoint
        running = true
        startedAt = .now
        acceptTask = Task { await self.acceptConnections(endpoint) }
        let interval = max(min(configuration.heartbeatTimeout / 4, .seconds(1)), .milliseconds(10))
        sweepTask = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                self.evictSilentClients()
            }
        }
        logger.info("QuicFlow server listening", metadata: ["address": "\(endpoint.localAddress)"])
    }

    /// Where the server listens, once started.
    public var localAddress: SocketAddress? { endpoint?.localAddress }

    /// Stops: clients are closed with code 7, waiting `send`s fail with
    /// ``QuicFlowError/Code/shuttingDown``, and the socket is released;
    /// waits at most `deadline` for in-flight work to end.
    public func stop(deadline: Duration = .seconds(10)) async {
        guard running else { return }
        running = false
        stopped = true
        sweepTask?.cancel()
        for id in sessions.keys { sessions[id]?.endedBy = .serverStopping }
        let connections = sessions.values.map(\.session.connection)
        await withTaskGroup(of: Void.self) { group in
            for connection in connections {
                group.addTask { await connection.close(errorCode: CloseCode.shuttingDown, reason: "server shutting down") }
            }
        }
        await endpoint?.close(code: CloseCode.shuttingDown, reason: "server shutting down")
        if let acceptTask {
            _ = await Race.withTimeout(deadline) { await acceptTask.value }
        }
        logger.info("QuicFlow server stopped")
    }

    // MARK: - Sending

    /// Sends `message` to a connected client. With `waitAck` it returns the
    /// client's response (or a TIMEOUT response when none came in time);
    /// without, a SUCCESS response once the message is handed to QUIC.
    @discardableResult
    public func send(_ message: Message, to clientID: String) async throws -> Response {
        guard running else {
            throw QuicFlowError(.shuttingDown, "the server is not running; start() it first")
        }
        guard let record = sessions[clientID], record.endedBy == nil else {
            throw QuicFlowError(.unknownClient, "no client '\(clientID)' is connected; clients() lists those that are")
        }
        let data: DataMessage
        do {
            data = try exchange.dataMessage(message, from: configuration.serverID, to: clientID)
        } catch {
            if error.code == .messageTooLarge { counters.oversizeOutbound += 1 }
            throw error
        }
        if message.waitAck {
            guard activePromises < configuration.maxPromises else {
                counters.promiseRefusals += 1
                throw QuicFlowError(
                    .tooManyPromises,
                    "\(activePromises) acknowledgements are already awaited (maxPromises \(configuration.maxPromises)); retry later or raise maxPromises")
            }
            activePromises += 1
            counters.promisesCreated += 1
            if activePromises == configuration.promiseWarnThreshold + 1 {
                counters.promiseWarnings += 1
                logger.warning("outstanding acknowledgements crossed the warning threshold", metadata: [
                    "active": "\(activePromises)", "threshold": "\(configuration.promiseWarnThreshold)",
                ])
            }
        }
        defer { if message.waitAck { activePromises -= 1 } }

        let outcome: MessageExchange.Outcome
        let sentAt = ContinuousClock.now
        do {
            outcome = try await exchange.send(
                data, on: record.session.connection, timeout: message.timeout ?? configuration.defaultMessageTimeout)
        } catch {
            counters.messagesFailed += 1
            if !running {
                throw QuicFlowError(.shuttingDown, "the server stopped before '\(clientID)' answered message \(data.msgID)")
            }
            counters.networkErrors += 1
            throw error
        }
        counters.messagesSent += 1
        counters.bytesSent += message.payload.count
        countThroughput(1)
        hooks.onMessageSent?(clientID, data.msgID)
        switch outcome {
        case .sent:
            return .success()
        case .acknowledged(let response):
            counters.promisesCompleted += 1
            latency.record(ContinuousClock.now - sentAt)
            return response
        case .timedOut:
            counters.promiseTimeouts += 1
            hooks.onPromiseTimeout?(clientID, data.msgID)
            let timeout = message.timeout ?? configuration.defaultMessageTimeout
            return .timeout("no acknowledgement from '\(clientID)' within \(timeout)")
        }
    }

    /// Sends `message` to every connected client without waiting for
    /// acknowledgements, at most 256 at a time; returns how many it reached.
    @discardableResult
    public func broadcast(_ message: Message) async -> Int {
        guard running else { return 0 }
        var message = message
        message.waitAck = false
        guard let data = try? exchange.dataMessage(message, from: configuration.serverID, to: "") else {
            counters.encodingErrors += 1
            return 0
        }
        let connections = sessions.values.map(\.session.connection)
        let exchange = self.exchange
        let timeout = configuration.defaultMessageTimeout
        let reached = await withTaskGroup(of: Bool.self) { group in
            var next = connections.makeIterator()
            var inFlight = 0
            var reached = 0
            func addNext() -> Bool {
                guard let connection = next.next() else { return false }
                group.addTask { (try? await exchange.send(data, on: connection, timeout: timeout)) != nil }
                return true
            }
            while inFlight < 256, addNext() { inFlight += 1 }
            while let delivered = await group.next() {
                if delivered { reached += 1 }
                if !addNext() { inFlight -= 1 }
            }
            return reached
        }
        counters.broadcastsSent += 1
        counters.broadcastTargets += reached
        counters.messagesSent += reached
        counters.bytesSent += reached * message.payload.count
        countThroughput(reached)
        hooks.onBroadcast?(reached)
        return reached
    }

    // MARK: - Clients

    /// The registered clients (a session the server is ending, for
    /// eviction or shutdown, is no longer listed).
    public func clients() -> [ClientInfo] {
        sessions.values.filter { $0.endedBy == nil }.map { $0.info() }.sorted { $0.clientID < $1.clientID }
    }

    /// One registered client, or `nil`.
    public func clientInfo(_ clientID: String) -> ClientInfo? {
        guard let record = sessions[clientID], record.endedBy == nil else { return nil }
        return record.info()
    }

    /// Acknowledgements awaited right now.
    public var pendingAcknowledgements: Int { activePromises }

    // MARK: - Metrics

    /// Every MetricsSnapshot field: counters since start, acknowledgement
    /// round-trip percentiles (µs) from an HDR histogram, and throughput
    /// over the last 10 seconds.
    public func metrics() -> MetricsSnapshot {
        var m = MetricsSnapshot()
        m.connectedClients = Int64(sessions.values.filter { $0.endedBy == nil }.count)
        m.totalConnections = Int64(counters.totalConnections)
        m.totalDisconnects = Int64(counters.totalDisconnects)
        m.messagesSent = Int64(counters.messagesSent)
        m.messagesReceived = Int64(counters.messagesReceived)
        m.messagesFailed = Int64(counters.messagesFailed)
        m.bytesSent = Int64(counters.bytesSent)
        m.bytesReceived = Int64(counters.bytesReceived)
        m.messageThroughput = Int64(throughput.rate(at: Self.second()).rounded())
        m.averageLatency = latency.mean
        m.p50Latency = latency.percentile(50)
        m.p95Latency = latency.percentile(95)
        m.p99Latency = latency.percentile(99)
        m.heartbeatsSent = Int64(counters.heartbeatsSent)
        m.heartbeatsReceived = Int64(counters.heartbeatsReceived)
        m.heartbeatTimeouts = Int64(counters.heartbeatTimeouts)
        m.promiseCreated = Int64(counters.promisesCreated)
        m.promiseCompleted = Int64(counters.promisesCompleted)
        m.promiseTimeouts = Int64(counters.promiseTimeouts)
        m.promiseActive = Int64(activePromises)
        m.broadcastsSent = Int64(counters.broadcastsSent)
        m.broadcastTargets = Int64(counters.broadcastTargets)
        m.encodingErrors = Int64(counters.encodingErrors)
        m.decodingErrors = Int64(counters.decodingErrors)
        m.networkErrors = Int64(counters.networkErrors)
        m.uptimeSeconds = running ? (ContinuousClock.now - startedAt).components.seconds : 0
        m.timestamp = WallClock.system.unixMilliseconds()
        return m
    }

    /// The metrics in Prometheus text exposition format (names prefixed
    /// `quicflow_`), for a `/metrics` endpoint.
    /// After the snapshot's metrics come the limits (each refusal counted
    /// by the limit that caused it) and the transport's own counters.
    public func prometheusText() async -> String {
        var text = exporter.render(metrics())
        let busy = await dispatcher.busyRefusals
        let refusals: [(String, Int)] = [
            ("max_clients", counters.maxClientsRefusals),
            ("max_promises", counters.promiseRefusals),
            ("max_message_size_outbound", counters.oversizeOutbound),
            ("max_message_size_inbound", counters.oversizeInbound),
            ("dispatcher_queue", busy),
            ("registration_timeout", counters.registrationTimeouts),
        ]
        text += "# HELP quicflow_limit_refusals_total Requests refused by a configured limit, by limit.\n"
        text += "# TYPE quicflow_limit_refusals_total counter\n"
        for (limit, count) in refusals {
            text += "quicflow_limit_refusals_total{limit=\"\(limit)\"} \(count)\n"
        }
        if let transport = try? await endpoint?.statistics() {
            let figures: [(String, String, String, Int)] = [
                ("quicflow_transport_datagrams_dropped_total", "counter", "Datagrams dropped as undecodable or unacceptable.", transport.datagramsDropped),
                ("quicflow_transport_handshakes_refused_total", "counter", "Initials dropped by the per-address handshake limit.", transport.handshakesRefused),
                ("quicflow_transport_handshakes_in_progress", "gauge", "Server handshakes in progress.", transport.handshakesInProgress),
                ("quicflow_transport_retries_sent_total", "counter", "Retry packets sent for address validation.", transport.retriesSent),
                ("quicflow_transport_stateless_resets_sent_total", "counter", "Stateless resets sent for packets of unknown connections.", transport.statelessResetsSent),
                ("quicflow_transport_connections", "gauge", "QUIC connections, including unregistered, closing and draining ones.", transport.connections),
            ]
            for (name, type, help, value) in figures {
                text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
            }
        }
        return text
    }

    private func countRegistrationTimeout() {
        counters.registrationTimeouts += 1
    }

    private func countOversizeInbound() {
        counters.oversizeInbound += 1
    }

    /// Promises refused (maxPromises) and threshold crossings, for tests
    /// and logs.
    var promiseRefusals: Int { counters.promiseRefusals }
    var promiseWarnings: Int { counters.promiseWarnings }

    private func countThroughput(_ count: Int) {
        throughput.record(count, at: Self.second())
    }

    private static func second() -> Int64 {
        // Whole seconds on the monotonic clock: only differences matter.
        let (seconds, _) = (ContinuousClock.now - Self.epoch).components
        return seconds
    }

    private static let epoch = ContinuousClock.now

    // MARK: - Connections

    private nonisolated func acceptConnections(_ endpoint: QUICEndpoint) async {
        await withDiscardingTaskGroup { group in
            for await connection in endpoint.incomingConnections {
                group.addTask { await self.serve(connection) }
            }
        }
    }

    /// Runs one connection: registration on its first stream, then every
    /// stream in parallel until it closes.
    private nonisolated func serve(_ connection: QUICConnection) async {
        let timeout = configuration.registrationTimeout
        let registrationTimer = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled {
                await self.countRegistrationTimeout()
                await connection.close(errorCode: CloseCode.registrationFailed, reason: "no registration within \(timeout)")
            }
        }
        var session: ClientSession?
        await withDiscardingTaskGroup { group in
            for await stream in connection.inboundStreams {
                if let session {
                    group.addTask { await self.serve(stream, of: session) }
                    continue
                }
                // Until a client registers, its other streams wait their turn.
                guard let registered = await register(from: stream, on: connection) else { break }
                registrationTimer.cancel()
                session = registered
            }
        }
        registrationTimer.cancel()
        let reason = await connection.closeReason
        if let session {
            await sessionEnded(session, reason)
        }
    }

    private func register(from stream: QUICStream, on connection: QUICConnection) async -> ClientSession? {
        func refuse(_ code: UInt64, _ why: String) async -> ClientSession? {
            counters.registrationsRefused += 1
            logger.info("registration refused", metadata: ["peer": "\(connection.remoteAddress)", "reason": "\(why)"])
            await connection.close(errorCode: code, reason: why)
            return nil
        }
        let payload: FramePayload
        do {
            payload = try await exchange.io.read(stream)
        } catch {
            counters.decodingErrors += 1
            return await refuse(CloseCode.registrationFailed, "registration: \(error.message)")
        }
        guard case .ping(let ping) = payload else {
            return await refuse(CloseCode.registrationFailed, "the first stream must carry a PING with the client id")
        }
        let clientID = ping.clientID
        guard !clientID.isEmpty, clientID.utf8.count <= WireConstants.maxClientIDLength else {
            // A Go QuicFlow client sets no limit: say what it sent, so its operator can shorten it.
            return await refuse(
                CloseCode.registrationFailed,
                "the client id is \(clientID.utf8.count) bytes; QuicFlow takes 1 to \(WireConstants.maxClientIDLength) bytes (PROTOCOL.md), so register with a shorter id")
        }
        if configuration.requireClientCertificate {
            let certified = connection.peerIdentity?.commonName
            guard certified == clientID else {
                return await refuse(
                    CloseCode.identityMismatch,
                    "client id '\(clientID)' does not match the certificate's common name '\(certified ?? "none")'")
            }
        }
        guard running else {
            return await refuse(CloseCode.shuttingDown, "server shutting down")
        }
        if sessions[clientID] == nil, sessions.count >= configuration.maxClients {
            counters.maxClientsRefusals += 1
            return await refuse(CloseCode.serverFull, "server full: \(configuration.maxClients) clients are connected")
        }
        if let old = sessions[clientID] {
            // The newer session wins: an agent whose address changed comes back at once.
            sessions[clientID]?.endedBy = .superseded
            let oldConnection = old.session.connection
            Task { await oldConnection.close(errorCode: CloseCode.superseded, reason: "superseded by a newer session") }
        }
        let now = WallClock.system.unixMilliseconds()
        let session = ClientSession(clientID: clientID, connection: connection, connectedAt: now)
        sessions[clientID] = SessionRecord(session: session, lastSeen: .now, lastHeartbeat: now, endedBy: nil)
        counters.totalConnections += 1
        counters.heartbeatsReceived += 1
        do {
            var pong = PongFrame()
            pong.serverTime = now
            try await exchange.io.write(.pong(pong), to: stream)
            counters.heartbeatsSent += 1
        } catch {
            counters.networkErrors += 1
        }
        if let info = sessions[clientID]?.info(), sessions[clientID]?.session === session {
            hooks.onConnect?(info)
            logger.info("client registered", metadata: ["client": "\(clientID)", "peer": "\(connection.remoteAddress)"])
        }
        return session
    }

    private func sessionEnded(_ session: ClientSession, _ closeReason: QUICCloseReason) {
        let reason: DisconnectReason
        if let record = sessions[session.clientID], record.session === session {
            sessions.removeValue(forKey: session.clientID)
            reason = record.endedBy ?? Self.disconnectReason(closeReason)
        } else {
            reason = .superseded
        }
        counters.totalDisconnects += 1
        hooks.onDisconnect?(session.clientID, reason)
        logger.info("client disconnected", metadata: ["client": "\(session.clientID)", "reason": "\(reason)"])
    }

    private static func disconnectReason(_ reason: QUICCloseReason) -> DisconnectReason {
        switch reason {
        case .application(let code, _, byPeer: true):
            return .closedByClient(code: code)
        default:
            return .connectionLost("\(reason)")
        }
    }

    /// Handles one stream of a registered client.
    private nonisolated func serve(_ stream: QUICStream, of session: ClientSession) async {
        let payload: FramePayload
        do {
            payload = try await exchange.io.read(stream) { late in
                // Bytes after a frame already acted on: the stream is reset; count it.
                Task { await self.streamFailed(late) }
            }
        } catch {
            await streamFailed(error)
            return
        }
        await touch(session)
        switch payload {
        case .ping:
            var pong = PongFrame()
            pong.serverTime = WallClock.system.unixMilliseconds()
            try? await exchange.io.write(.pong(pong), to: stream)
            await countHeartbeat()
        case .data(let data):
            if data.payload.count > exchange.maxMessageSize { await countOversizeInbound() }
            await exchange.answer(data, on: stream, senderID: session.clientID) { await self.handle($0) }
        case .pong, .ack:
            await streamFailed(QuicFlowError(.protocolViolation, "a client may not open a stream with \(payload.frameType)"))
            await stream.reset(errorCode: CloseCode.protocolViolation)
        }
    }

    private func handle(_ message: IncomingMessage) async -> Response {
        counters.messagesReceived += 1
        counters.bytesReceived += message.payload.count
        countThroughput(1)
        switch deduplication.begin(clientID: message.senderID, msgID: message.msgID, now: .now) {
        case .answered(let response):
            return response
        case .inProgress:
            return await withCheckedContinuation { continuation in
                deduplication.wait(clientID: message.senderID, msgID: message.msgID, continuation)
            }
        case .new:
            break
        }
        hooks.onMessageReceived?(message)
        let response: Response
        if let handler = handlers[message.type] {
            response = await dispatcher.dispatch(message, to: handler)
        } else {
            response = .failure("no handler for \(message.type)")
        }
        if response.status != .success { counters.messagesFailed += 1 }
        deduplication.complete(clientID: message.senderID, msgID: message.msgID, with: response)
        return response
    }

    private func touch(_ session: ClientSession) {
        guard sessions[session.clientID]?.session === session else { return }
        sessions[session.clientID]?.lastSeen = .now
        sessions[session.clientID]?.lastHeartbeat = WallClock.system.unixMilliseconds()
    }

    private func countHeartbeat() {
        counters.heartbeatsReceived += 1
        counters.heartbeatsSent += 1
    }

    private func streamFailed(_ error: QuicFlowError) {
        if error.code == .foreignStream {
            // Within the Go original's protocol, so not a violation: say what it was.
            logger.notice("reset a stream QuicFlow does not carry: \(error.message)")
            return
        }
        if error.code == .protocolViolation {
            counters.decodingErrors += 1
        } else {
            counters.networkErrors += 1
        }
        hooks.onError?(error)
    }

    private func evictSilentClients() {
        let now = ContinuousClock.now
        for (clientID, record) in sessions where record.endedBy == nil && now - record.lastSeen > configuration.heartbeatTimeout {
            sessions[clientID]?.endedBy = .heartbeatTimeout
            counters.heartbeatTimeouts += 1
            hooks.onHeartbeatTimeout?(clientID)
            let connection = record.session.connection
            let timeout = configuration.heartbeatTimeout
            Task { await connection.close(errorCode: CloseCode.heartbeatTimeout, reason: "nothing heard for \(timeout)") }
        }
    }
}
