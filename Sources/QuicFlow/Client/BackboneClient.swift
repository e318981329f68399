public import Logging
import NIOCore
public import QUICTransport
import QuicFlowProtocol
import QuicFlowTime

/// A device's connection to the backbone: registers with its client id,
/// keeps the session alive with heartbeats, reconnects with exponential
/// backoff, answers the server's messages with registered handlers, and
/// sends its own.
///
/// ```swift
/// let client = BackboneClient(configuration: try ClientConfiguration(clientID: "device-7", caFile: "ca.pem"))
/// await client.register(for: .command) { message in .success(text: "done") }
/// try await client.connect(host: "backbone.example", port: 8474)
/// let response = try await client.send(Message(type: .event, text: "booted", waitAck: true))
/// ```
public actor BackboneClient {
    /// The configuration the client was made with.
    public nonisolated let configuration: ClientConfiguration
    private let logger: Logger
    private let exchange: MessageExchange
    private let dispatcher: Dispatcher
    private let backoff: Backoff
    /// The injected monotonic clock of heartbeats and reconnect waits.
    private let clock: ElapsedClock
    private var hooks = ClientEventHooks()
    private var handlers: [MessageType: any MessageHandler] = [:]
    private var endpoint: QUICEndpoint?
    /// An endpoint the caller owns and shares between clients; never closed here.
    private let sharedEndpoint: QUICEndpoint?
    private var connection: QUICConnection?
    /// The servers it may connect to, and the one it uses now: a failed
    /// connection attempt moves on to the next (a cluster's address list).
    private var targets: [ServerEndpoint] = []
    private var targetIndex = 0
    private var supervisor: Task<Void, Never>?
    /// Bumped for every new connection, so that news of an old one is ignored.
    private var generation = 0
    private var wantsConnection = false
    /// Server messages being handled or answered right now.
    private var answering = 0
    private var answeredWaiters: [CheckedContinuation<Void, Never>] = []

    /// Where the client is in its life.
    public private(set) var state: ClientConnectionState = .idle

    /// Creates a client; ``connect(host:port:serverName:)`` starts it.
    /// - Parameter endpoint: a client endpoint to connect from, shared with
    ///   other clients (one UDP socket for many sessions, as a load generator
    ///   needs); its TLS settings must match `configuration`'s, and the
    ///   client never closes it. `nil` (the default): the client opens and
    ///   closes its own.
    /// - Parameter clock: the monotonic clock of heartbeats and reconnect
    ///   waits; a test injects a manual one.
    public init(
        configuration: ClientConfiguration, logger: Logger = Logger(label: "quicflow.client"),
        endpoint: QUICEndpoint? = nil, clock: any Clock<Duration> = ContinuousClock()
    ) {
        let elapsed = ElapsedClock(clock)
        self.clock = elapsed
        self.configuration = configuration
        self.sharedEndpoint = endpoint
        self.logger = logger
        self.exchange = MessageExchange(maxMessageSize: configuration.maxMessageSize)
        self.dispatcher = Dispatcher(
            workers: configuration.dispatcherWorkers, queueSize: configuration.dispatcherQueueSize,
            handlerTimeout: configuration.handlerTimeout, clock: elapsed)
        self.backoff = configuration.backoff
    }

    /// Replaces the event hooks.
    public func setHooks(_ hooks: ClientEventHooks) {
        self.hooks = hooks
    }

    /// Handles messages of `type` from the server with `handler`.
    public func register(_ handler: any MessageHandler, for type: MessageType) {
        handlers[type] = handler
    }

    /// Handles messages of `type` from the server with a closure.
    public func register(
        for type: MessageType, _ body: @escaping @Sendable (IncomingMessage) async throws -> Response
    ) {
        handlers[type] = ClosureMessageHandler(body)
    }

    /// Connects and registers; throws if this first attempt fails. Once
    /// connected, a lost connection is re-established in the background
    /// (when ``ClientConfiguration/reconnectEnabled``).
    public func connect(host: String, port: Int = 8474, serverName: String? = nil) async throws {
        try await connect(to: [ServerEndpoint(host: host, port: port, serverName: serverName)])
    }

    /// Connects to `servers[first]` and registers; throws if this first
    /// attempt fails. Once connected, a lost connection is re-established
    /// in the background: each failed attempt moves on to the next server
    /// of the list (wrapping around), and the backoff keeps growing across
    /// the list, as Paho's `serverURIs` do.
    public func connect(to servers: [ServerEndpoint], startingAt first: Int = 0) async throws {
        guard state == .idle, !wantsConnection else {
            throw QuicFlowError(.invalidConfiguration, "the client is already \(state); disconnect() first")
        }
        guard !servers.isEmpty else {
            throw QuicFlowError(.invalidConfiguration, "no server to connect to; give at least one address")
        }
        wantsConnection = true
        state = .connecting
        targets = servers
        targetIndex = ((first % servers.count) + servers.count) % servers.count
        let host = servers.contains { $0.host.contains(":") } ? "::" : "0.0.0.0"
        do {
            let endpoint: QUICEndpoint
            if let sharedEndpoint {
                endpoint = sharedEndpoint
            } else {
                do {
                    endpoint = try await QUICEndpoint.client(
                        host: host, configuration: configuration.endpointConfiguration,
                        logger: logger)
                } catch let error as QUICError where error.code == .tlsConfiguration || error.code == .invalidConfiguration {
                    // A certificate that does not match its key, an unreadable CA:
                    // no retry can fix it, so say it is the configuration.
                    throw QuicFlowError(.invalidConfiguration, "the TLS settings cannot work: \(error.message)")
                }
            }
            self.endpoint = endpoint
            try await establish()
        } catch {
            wantsConnection = false
            state = .idle
            await closeOwnEndpoint()
            throw error
        }
    }

    /// Waits until every message the server sent has been handled and its
    /// ACK handed to QUIC, or `timeout` passes: call it before
    /// ``disconnect()`` for a graceful stop that does not cut handlers off.
    /// - Returns: `true` when nothing is being answered any more.
    @discardableResult
    public func waitForAnswers(timeout: Duration) async -> Bool {
        guard answering > 0 else { return true }
        let finished: Void? = await Race.withTimeout(timeout) {
            await withCheckedContinuation { continuation in
                // Unstructured: the continuation's body is synchronous and the
                // waiter list is the actor's; the task only hands it over.
                Task { await self.addAnsweredWaiter(continuation) }
            }
        }
        return finished != nil
    }

    private func addAnsweredWaiter(_ continuation: CheckedContinuation<Void, Never>) {
        if answering == 0 {
            continuation.resume()
        } else {
            answeredWaiters.append(continuation)
        }
    }

    private func answerStarted() {
        answering += 1
    }

    private func answerFinished() {
        answering -= 1
        guard answering == 0 else { return }
        let waiters = answeredWaiters
        answeredWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    /// Closes the connection (code 0) and stops reconnecting.
    public func disconnect() async {
        wantsConnection = false
        generation += 1
        supervisor?.cancel()
        supervisor = nil
        if let connection {
            await connection.close(errorCode: CloseCode.normal, reason: "client disconnected")
        }
        connection = nil
        await closeOwnEndpoint()
        state = .idle
    }

    /// Sends `message` to the server. With `waitAck` it returns the
    /// server's response (TIMEOUT when none came in time); without, SUCCESS
    /// once the message is handed to QUIC.
    @discardableResult
    public func send(_ message: Message) async throws -> Response {
        guard state == .connected, let connection else {
            throw QuicFlowError(.notConnected, "the client is \(state); wait for it to connect")
        }
        let data = try exchange.dataMessage(message, from: configuration.clientID, to: "")
        let timeout = message.timeout ?? configuration.defaultMessageTimeout
        let outcome = try await exchange.send(data, on: connection, timeout: timeout)
        hooks.onMessageSent?(data.msgID)
        switch outcome {
        case .sent:
            return .success()
        case .acknowledged(let response):
            return response
        case .timedOut:
            hooks.onPromiseTimeout?(data.msgID)
            return .timeout("no acknowledgement from the server within \(timeout)")
        }
    }

    // MARK: - Connection lifecycle

    /// The server it is connected to, or tries next.
    public var currentServer: ServerEndpoint? {
        targets.isEmpty ? nil : targets[targetIndex]
    }

    /// Dials, registers, and starts the session's tasks.
    private func establish() async throws {
        guard let endpoint, !targets.isEmpty else {
            throw QuicFlowError(.notConnected, "the client was disconnected")
        }
        let target = targets[targetIndex]
        if configuration.insecureSkipVerify {
            logger.warning("connecting WITHOUT verifying the server's certificate (insecureSkipVerify)", metadata: ["server": "\(target)"])
        }
        let connection: QUICConnection
        do {
            connection = try await endpoint.connect(host: target.host, port: target.port, serverName: target.serverName)
        } catch {
            throw QuicFlowError(.connectionLost, "cannot connect to \(target): \(error)")
        }
        do {
            try await ping(connection)
        } catch {
            let reason = await Race.withTimeout(.milliseconds(200)) { await connection.closeReason }
            await connection.close(errorCode: CloseCode.registrationFailed, reason: "registration failed")
            if case .application(let code, let why, byPeer: true)? = reason {
                if code == CloseCode.registrationFailed, why == Self.goDuplicateRefusal {
                    throw QuicFlowError(
                        .registrationRefused,
                        "the server refused registration (code 1, \"\(why)\"): the backbone still holds this client id, most likely from this device's previous session (a Go backbone refuses a second session until the old one idles out, about 60 s); retrying with backoff")
                }
                throw QuicFlowError(.registrationRefused, "the server refused registration (code \(code)): \(why)")
            }
            throw QuicFlowError(.registrationRefused, "registration failed: \(error)")
        }
        guard wantsConnection else {
            await connection.close(errorCode: CloseCode.normal, reason: "client disconnected")
            throw QuicFlowError(.notConnected, "the client was disconnected while connecting")
        }
        generation += 1
        let current = generation
        self.connection = connection
        state = .connected
        hooks.onConnectedTo?(target)
        hooks.onConnect?()
        logger.info("connected to the backbone", metadata: ["server": "\(connection.remoteAddress)"])
        // Unstructured because connect() returns while the session runs;
        // its owner is this actor: disconnect() cancels and awaits it.
        supervisor = Task { await self.runSession(connection, generation: current) }
    }

    /// The reason a Go backbone gives when it refuses a client id it still
    /// holds (PROTOCOL.md, "How the Go original really behaves").
    static let goDuplicateRefusal = "failed to create session"

    /// Sends a PING and waits for the PONG (registration and heartbeat).
    private nonisolated func ping(_ connection: QUICConnection) async throws {
        var ping = PingFrame()
        ping.clientID = configuration.clientID
        let reply: FramePayload
        do {
            reply = try await connection.exchange(
                sending: try exchange.io.encode(.ping(ping)), readingWith: exchange.io.reader,
                timeout: TimeAmount(saturating: configuration.heartbeatTimeout), abandonErrorCode: CloseCode.normal)
        } catch let error as QUICError where error.code == .timedOut {
            throw QuicFlowError(.connectionLost, "no PONG within \(configuration.heartbeatTimeout)")
        } catch let error as QuicFlowError {
            throw error
        } catch {
            throw FrameIO.failure(error, on: "PING")
        }
        guard case .pong = reply else {
            throw QuicFlowError(.protocolViolation, "expected a PONG, got \(reply.frameType)")
        }
    }

    /// Serves the server's streams and sends heartbeats until the
    /// connection ends, then reconnects if wanted.
    private nonisolated func runSession(_ connection: QUICConnection, generation: Int) async {
        let reason: String = await withTaskGroup(of: String?.self) { group in
            group.addTask {
                await withDiscardingTaskGroup { streams in
                    for await stream in connection.inboundStreams {
                        streams.addTask { await self.serve(stream) }
                    }
                }
                return nil
            }
            group.addTask {
                while !Task.isCancelled {
                    try? await self.clock.sleep(for: self.configuration.heartbeatInterval)
                    if Task.isCancelled { return nil }
                    do {
                        try await self.ping(connection)
                    } catch {
                        await self.heartbeatFailed()
                        await connection.close(errorCode: CloseCode.heartbeatTimeout, reason: "no PONG in time")
                        return "heartbeat failed: \(error)"
                    }
                }
                return nil
            }
            group.addTask { "\(await connection.closeReason)" }
            var reason = "connection closed"
            while let next = await group.next() {
                if let next {
                    reason = next
                    break
                }
            }
            group.cancelAll()
            return reason
        }
        await connectionLost(generation: generation, reason: reason)
    }

    private func closeOwnEndpoint() async {
        if sharedEndpoint == nil { await endpoint?.close() }
        endpoint = nil
    }

    private func heartbeatFailed() {
        hooks.onHeartbeatTimeout?()
    }

    private func connectionLost(generation lost: Int, reason: String) async {
        guard lost == generation else { return }
        connection = nil
        hooks.onDisconnect?(reason)
        logger.warning("connection to the backbone lost", metadata: ["reason": "\(reason)"])
        guard wantsConnection, configuration.reconnectEnabled else {
            wantsConnection = false
            state = .idle
            await closeOwnEndpoint()
            return
        }
        state = .connecting
        // With a list, the first attempt goes to the next server: the one
        // just lost most likely died or is leaving, and trying it first cost
        // a whole handshake timeout before failing over (re-homing after a
        // node's kill -9 took ~14 s with a 3 s heartbeat timeout).
        if targets.count > 1 { targetIndex = (targetIndex + 1) % targets.count }
        var generator = SystemRandomNumberGenerator()
        var attempt = 0
        while wantsConnection, lost == generation {
            attempt += 1
            let delay = backoff.delay(attempt: attempt, using: &generator)
            hooks.onReconnectScheduled?(attempt, delay)
            try? await clock.sleep(for: delay)
            guard wantsConnection, lost == generation else { return }
            hooks.onReconnect?(attempt)
            do {
                try await establish()
                return
            } catch {
                logger.warning("reconnect failed", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                hooks.onReconnectFailed?(attempt, "\(error)")
                // The next attempt goes to the next server of the list.
                targetIndex = (targetIndex + 1) % targets.count
            }
        }
    }

    /// Answers one stream the server opened.
    private nonisolated func serve(_ stream: QUICStream) async {
        await answerStarted()
        await answer(stream)
        await answerFinished()
    }

    private nonisolated func answer(_ stream: QUICStream) async {
        let payload: FramePayload
        do {
            payload = try await exchange.io.read(stream) { late in
                // Bytes after a frame already acted on: the stream is reset; report it.
                // Unstructured: this callback is synchronous, from the reader.
                Task { await self.reportError(late) }
            }
        } catch where error.code == .foreignStream {
            // The Go backbone's SSH, file-transfer and port-forward streams: reset, session kept.
            logger.notice("reset a stream QuicFlow does not carry: \(error.message)")
            await reportError(error)
            return
        } catch {
            await reportError(error)
            return
        }
        guard case .data(let data) = payload else {
            await reportError(QuicFlowError(.protocolViolation, "the server opened a stream with \(payload.frameType)"))
            await stream.reset(errorCode: CloseCode.protocolViolation)
            return
        }
        // The server is the only peer; its frames claim its own id.
        var handled: (IncomingMessage, Response)?
        let acknowledged = await exchange.answer(data, on: stream, senderID: data.senderID) { message in
            let response = await self.handle(message)
            handled = (message, response)
            return response
        }
        if !acknowledged, let (message, response) = handled {
            await acknowledgementLost(message, response)
        }
    }

    private func acknowledgementLost(_ message: IncomingMessage, _ response: Response) {
        hooks.onAcknowledgementLost?(message, response)
    }

    private func handle(_ message: IncomingMessage) async -> Response {
        hooks.onMessageReceived?(message)
        guard let handler = handlers[message.type] else {
            return .failure("no handler for \(message.type)")
        }
        return await dispatcher.dispatch(message, to: handler, onBusy: hooks.onHandlerBusy)
    }

    private func reportError(_ error: QuicFlowError) {
        hooks.onError?(error)
    }
}
