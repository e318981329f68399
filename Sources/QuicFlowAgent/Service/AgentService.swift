import Foundation
public import Logging
import QuicFlow
public import ServiceLifecycle

/// The agent: one reconnecting session to the backbone, the outbox
/// delivered over it with acknowledgements, and the server's messages
/// answered by handler executables. Runs as a swift-service-lifecycle
/// `Service`; graceful shutdown stops new work and closes the session.
public actor AgentService: Service {
    /// The configuration the agent runs with.
    public nonisolated let configuration: AgentConfiguration
    private let logger: Logger
    private let outbox: Outbox
    private let client: BackboneClient
    private let runner: HandlerRunner
    private var delivering = false
    /// Results of server commands by msg_id (10 minutes), so a command the
    /// server repeats is answered without running it again.
    private var recentResults: [String: (Response, ContinuousClock.Instant)] = [:]
    private let connectivity: AsyncStream<Void>
    private let connectivitySignal: AsyncStream<Void>.Continuation

    /// Opens the outbox and prepares the session; ``run()`` starts them.
    public init(configuration: AgentConfiguration, logger: Logger = Logger(label: "quicflow.agent")) throws {
        self.configuration = configuration
        self.logger = logger
        self.outbox = try Outbox(path: configuration.outboxPath, maxMessages: configuration.outbox.maxMessages)
        self.client = BackboneClient(configuration: try configuration.clientConfiguration(), logger: logger)
        self.runner = HandlerRunner(logger: logger)
        (connectivity, connectivitySignal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Runs until graceful shutdown: connects (retrying with backoff until
    /// it succeeds), delivers the outbox, answers the server.
    public func run() async throws {
        try await outbox.releaseInFlight()
        await setUpClient()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.connectUntilConnected() }
            group.addTask { await self.deliver() }
            _ = try? await gracefulShutdown()
            group.cancelAll()
        }
        await client.disconnect()
        try? await outbox.setState(.connectionState, "stopped")
    }

    private func setUpClient() async {
        var hooks = ClientEventHooks()
        let signal = connectivitySignal
        let outbox = self.outbox
        hooks.onConnect = {
            signal.yield()
            Task { try? await outbox.setState(.connectionState, "connected") }
        }
        hooks.onDisconnect = { reason in
            Task {
                try? await outbox.setState(.connectionState, "connecting")
                try? await outbox.setState(.lastError, reason)
            }
        }
        hooks.onAcknowledgementLost = { message, response in
            // Not lost: it goes out again as a RESPONSE message.
            Task { _ = try? await outbox.enqueue(type: .response, payload: LostResponse(message: message, response: response).payload()) }
        }
        await client.setHooks(hooks)
        for type in [MessageType.command, .query, .event] {
            await client.register(for: type) { message in await self.handle(message) }
        }
    }

    /// The first connect may fail (no network yet): keep trying with the
    /// configured backoff; after that BackboneClient reconnects by itself.
    private func connectUntilConnected() async {
        let server = configuration.server
        var attempt = 0
        while !Task.isCancelled {
            do {
                try await client.connect(host: server.host, port: server.port, serverName: server.serverName)
                return
            } catch {
                attempt += 1
                try? await outbox.setState(.lastError, "\(error)")
                let reconnect = configuration.reconnect
                var delay = reconnect.initialBackoff
                for _ in 1..<min(attempt, 30) where delay < reconnect.maxBackoff { delay = delay * 2 }
                try? await Task.sleep(for: min(delay, reconnect.maxBackoff))
            }
        }
    }

    // MARK: - Outbox delivery

    /// Sends pending rows in order, `in_flight` at a time, each waiting for
    /// its ACK; a row leaves the outbox only when an ACK (SUCCESS or
    /// FAILURE) arrived. Wakes on new rows without polling the table.
    private func deliver() async {
        // New rows and a (re)connection both wake the loop.
        let forwarder = Task { [connectivitySignal, outbox] in
            for await _ in outbox.changes() { connectivitySignal.yield() }
        }
        defer { forwarder.cancel() }
        let settings = configuration.outbox
        let minimumGap = Duration.seconds(1) / settings.replayRate
        while !Task.isCancelled {
            guard await client.state == .connected else {
                await Self.wake(connectivity, within: .milliseconds(500))
                continue
            }
            _ = try? await outbox.expire(maxAge: settings.maxAge, maxAttempts: settings.maxAttempts == 0 ? nil : settings.maxAttempts)
            let batch = (try? await outbox.nextBatch(limit: settings.inFlight)) ?? []
            if batch.isEmpty {
                await Self.wake(connectivity, within: .milliseconds(500))
                continue
            }
            await withTaskGroup(of: Void.self) { group in
                for message in batch {
                    group.addTask { await self.deliver(message) }
                    // Pace replays so a long backlog does not flood the server.
                    try? await Task.sleep(for: minimumGap)
                }
            }
        }
    }

    private func deliver(_ row: OutboxMessage) async {
        var message = Message(type: row.type, payload: row.payload, waitAck: true, timeout: configuration.outbox.ackTimeout)
        message.msgID = row.msgID
        do {
            let response = try await client.send(message)
            if response.status == .timeout {
                try await outbox.markRetry(id: row.id, error: response.error)
            } else {
                try await outbox.markDelivered(id: row.id, response: response)
                try await outbox.setState(.lastDeliveryAt, String(Outbox.unixMillisNow()))
            }
        } catch {
            try? await outbox.markRetry(id: row.id, error: "\(error)")
        }
    }

    /// Waits for a signal, or `timeout` as a backstop (retry times of
    /// rows put back after a failure pass without a signal).
    private static func wake(_ signals: AsyncStream<Void>, within timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in signals { return }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    // MARK: - Server messages

    private func handle(_ message: IncomingMessage) async -> Response {
        let now = ContinuousClock.now
        recentResults = recentResults.filter { now - $0.value.1 < .seconds(600) }
        if message.type == .command, let (response, _) = recentResults[message.msgID] {
            return response
        }
        let named = message.type == .command ? NamedCommand(message.payload) : nil
        guard let handler = configuration.handler(for: message.type, commandType: named?.name) else {
            return .failure(named.map { "no handler for command \($0.name)" } ?? "no handler for \(message.type)")
        }
        let usesNamedHandler = named.flatMap { configuration.commands[$0.name] } != nil
        let input = IncomingMessage(
            msgID: message.msgID, senderID: message.senderID, type: message.type,
            payload: usesNamedHandler ? named!.payload : message.payload, timestamp: message.timestamp)
        let outcome = await runner.run(
            handler, message: input, clientID: configuration.clientID, command: named?.name)
        try? await outbox.recordHandlerRun(
            HandlerRunRecord(
                name: named?.name ?? message.type.rawValue, status: outcome.status, duration: outcome.duration,
                finishedAt: Outbox.unixMillisNow(), error: outcome.error))
        if message.type == .command {
            recentResults[message.msgID] = (outcome.response, ContinuousClock.now)
        }
        return outcome.response
    }

    /// The outbox, for `status` and tests.
    public nonisolated var outboxStore: Outbox { outbox }
}
