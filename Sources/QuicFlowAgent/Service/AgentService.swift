import QuicFlowConfigFile
import Foundation
public import Logging
import QuicFlow
public import ServiceLifecycle
public import QuicFlowTime
import QuicFlowHooks
import QuicFlowDataDirectory

/// The agent: one reconnecting session to the backbone, the outbox
/// delivered over it with acknowledgements, and the server's messages
/// answered by handler executables. Runs as a swift-service-lifecycle
/// `Service`.
///
/// Graceful shutdown (SIGTERM/SIGINT through a `ServiceGroup`): no new
/// batches are taken from the outbox, new server messages are refused,
/// handlers already running may finish for up to ``shutdownTimeout`` and
/// their answers are sent, then the session is closed with code 0.
///
/// The agent's status (connection, errors, retries, deliveries, handler
/// runs) is written to the outbox database as it changes, for
/// `quicflow-agent status`; one agent at a time may use a data directory
/// (``DataDirectoryLock``).
public actor AgentService: Service {
    /// The configuration the agent runs with.
    public nonisolated let configuration: AgentConfiguration
    /// How long a graceful shutdown waits for running handlers.
    public nonisolated let shutdownTimeout: Duration
    private let logger: Logger
    private let outbox: Outbox
    private let client: BackboneClient
    private let runner: HandlerRunner
    /// False once shutdown began: server messages are refused, no new
    /// outbox batches are claimed.
    private var accepting = true
    /// Server commands being handled now, by msg_id, so a repeat that
    /// arrives meanwhile waits for the same run.
    private var runningCommands: [String: Task<Response, Never>] = [:]
    /// Wakes the delivery loop: connected, new outbox rows, shutting down.
    private let wakeDelivery: WakeSignal
    /// The monotonic clock of waits, pacing and schedules.
    private let clock: ElapsedClock
    /// The time stamped in the status and compared with rows' deadlines.
    private let wallClock: WallClock
    /// Status changes, written to the database in order by one task.
    private let stateUpdates: AsyncStream<OutboxWrite>
    private let stateUpdate: AsyncStream<OutboxWrite>.Continuation
    /// The first connection attempt's outcome, for ``serving()``.
    private let servingStatus: AsyncStream<String>
    private let servingSignal: AsyncStream<String>.Continuation

    /// Opens the outbox and prepares the session; ``run()`` starts them.
    /// - Parameters:
    ///   - shutdownTimeout: how long a graceful shutdown lets running
    ///     handlers finish (30 s by default).
    ///   - clock: the clock of the agent's waits: connect retries, the
    ///     delivery loop's backstop, replay pacing, the expiry schedule.
    ///   - wallClock: the time of the outbox and the status (row deadlines,
    ///     max_age); a test moves both by hand.
    public init(
        configuration: AgentConfiguration, shutdownTimeout: Duration = .seconds(30),
        logger: Logger = Logger(label: "quicflow.agent"), clock: any Clock<Duration> = ContinuousClock(),
        wallClock: WallClock = .system
    ) throws {
        self.configuration = configuration
        self.clock = ElapsedClock(clock)
        self.wallClock = wallClock
        self.wakeDelivery = WakeSignal(clock: self.clock)
        self.shutdownTimeout = shutdownTimeout
        self.logger = logger
        self.outbox = try Outbox(
            path: configuration.outboxPath, maxMessages: configuration.outbox.maxMessages,
            retryBackoff: configuration.reconnect.backoff, wallClock: wallClock)
        self.client = BackboneClient(configuration: try configuration.clientConfiguration(), logger: logger, clock: clock)
        self.runner = HandlerRunner(logger: logger, journal: self.outbox)
        (stateUpdates, stateUpdate) = AsyncStream.makeStream()
        (servingStatus, servingSignal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Runs until graceful shutdown: connects (retrying with backoff until
    /// it succeeds), delivers the outbox, answers the server.
    /// - Throws: ``AgentError`` when another agent already runs on the same
    ///   data directory, or the outbox cannot be read.
    public func run() async throws {
        let lock = try DataDirectoryLock(dataDirectory: configuration.dataDirectory)
        defer { lock.release() }
        for warning in configuration.warnings {
            logger.warning("\(warning)")
        }
        // What check-config would have said: no usable address or TLS files
        // stop the agent (no retry fixes them); a handler that cannot run is
        // logged and answered FAILURE, so the device stays reachable.
        let check = AgentConfigurationCheck(configuration)
        if let error = check.error(path: "the configuration", includingHandlers: false) {
            throw error
        }
        for problem in check.handlers {
            logger.error("a handler cannot run; its messages are answered FAILURE until it is fixed", metadata: ["problem": "\(problem)"])
        }
        // A damaged outbox is found now, not by failing deliveries one by one.
        try await outbox.checkIntegrity()
        // Rows a killed agent left in flight go out again (same msg_id, so
        // the server's de-duplication answers a repeat without re-running).
        let released = try await outbox.releaseInFlight()
        if released > 0 {
            logger.notice("resending messages left in flight by the previous run", metadata: ["count": "\(released)"])
        }
        // Handlers a killed agent left running (recorded in the outbox
        // database) are ended before any new one starts.
        await runner.endGroupsLeftRunning()
        // Applies what the client's hooks queued, in order. Unstructured
        // because it must outlive the task group below (handlers still
        // answering during shutdown queue late responses); run() awaits it
        // before returning, so nothing queued is lost.
        let recorder = Task { [stateUpdates, outbox, logger] in
            for await write in stateUpdates {
                await Self.apply(write, to: outbox, logger: logger)
            }
        }
        // Written before anything else, so status never shows what a
        // previous (killed) agent last wrote as this one's state.
        let server = configuration.server
        try await outbox.setStates([
            .serverAddress: server.servers.map(\.description).joined(separator: ", "), .connectionState: "connecting",
            .connectedSince: nil,
            .nextRetryAt: nil, .reconnectAttempts: "0",
        ])
        await setUpClient()
        let fatal: AgentError? = await withTaskGroup(of: RunEnding.self) { group in
            group.addTask { await self.connectUntilConnected().map(RunEnding.misconfigured) ?? .done }
            group.addTask {
                await self.deliver()
                return .done
            }
            group.addTask { await self.expireOnSchedule().map(RunEnding.failed) ?? .done }
            group.addTask {
                // Reaps and ends handlers' adopted orphans (a no-op unless
                // HandlerRunner.adoptOrphans() made this process a subreaper).
                await self.runner.sweepOrphans()
                return .done
            }
            group.addTask {
                try? await gracefulShutdown()
                return .shutdown
            }
            var fatal: AgentError?
            waiting: while let ending = await group.next() {
                switch ending {
                case .shutdown:
                    break waiting
                case .misconfigured(let error), .failed(let error):
                    fatal = error
                    break waiting
                case .done:
                    continue
                }
            }
            await self.shutDown()
            group.cancelAll()
            return fatal
        }
        record([.connectionState: "stopped", .connectedSince: nil, .nextRetryAt: nil])
        stateUpdate.finish()
        await recorder.value
        if let fatal {
            logger.critical("agent stopped: \(fatal.message)")
            throw fatal
        }
        logger.notice("agent stopped")
    }

    /// How one of run()'s tasks ended.
    private enum RunEnding: Sendable {
        /// Graceful shutdown began.
        case shutdown
        /// A setting no retry can fix: the agent stops (exit 78).
        case misconfigured(AgentError)
        /// Something the agent must not run on with: it stops (exit 1).
        case failed(AgentError)
        /// The task finished its work (connected, or stopped by shutdown).
        case done
    }

    /// Refuses new work, lets running handlers answer, closes with code 0.
    private func shutDown() async {
        logger.notice("shutting down: no new work; waiting for running handlers", metadata: ["timeout": "\(shutdownTimeout.logText)"])
        accepting = false
        wakeDelivery.signal()
        if !(await client.waitForAnswers(timeout: shutdownTimeout)) {
            logger.warning("handlers still running at the shutdown deadline; their results are queued as RESPONSE messages if they finish")
        }
        await client.disconnect()
    }

    private nonisolated func record(_ update: [AgentStateKey: String?]) {
        stateUpdate.yield(.states(update))
    }

    /// Applies one queued write.
    private static func apply(_ write: OutboxWrite, to outbox: Outbox, logger: Logger) async {
        switch write {
        case .states(let update):
            do {
                try await outbox.setStates(update)
            } catch {
                logger.warning("cannot store the agent status", metadata: ["error": "\(error)"])
            }
        case .lateResponse(let message, let response):
            do {
                try await outbox.enqueue(type: .response, payload: LateResponse(message: message, response: response).payload())
            } catch {
                logger.error("cannot queue the answer to \(message.msgID) whose ACK was lost", metadata: ["error": "\(error)"])
            }
        case .busyRefusal:
            do {
                try await outbox.countRefusal(.handlerBusyRefusals)
            } catch {
                logger.error("cannot count a busy refusal", metadata: ["error": "\(error)"])
            }
        }
    }

    private nonisolated func millis(after delay: Duration = .zero) -> String {
        String(wallClock.unixMilliseconds() + delay.wholeMilliseconds)
    }

    private func setUpClient() async {
        var hooks = ClientEventHooks()
        let wake = wakeDelivery
        let logger = self.logger
        hooks.onConnectedTo = { [weak self] server in
            self?.record([.serverAddress: server.description])
        }
        hooks.onConnect = { [weak self] in
            wake.signal()
            self?.record([
                .connectionState: "connected", .connectedSince: self?.millis(), .nextRetryAt: nil,
                .reconnectAttempts: "0",
            ])
        }
        hooks.onDisconnect = { [weak self] reason in
            self?.record([.connectionState: "connecting", .lastError: reason, .connectedSince: nil])
        }
        hooks.onReconnectScheduled = { [weak self] attempt, delay in
            self?.record([.nextRetryAt: self?.millis(after: delay), .reconnectAttempts: String(attempt - 1)])
        }
        hooks.onReconnectFailed = { [weak self] attempt, error in
            self?.record([.lastError: error, .reconnectAttempts: String(attempt)])
        }
        hooks.onAcknowledgementLost = { [stateUpdate] message, response in
            // Not lost: it goes out again as a RESPONSE message.
            stateUpdate.yield(.lateResponse(message, response))
        }
        hooks.onHandlerBusy = { [stateUpdate] message in
            logger.warning("a message from the server was refused: every handler is running and handler_queue messages already wait", metadata: [
                "msg_id": "\(message.msgID)", "type": "\(message.type)",
            ])
            stateUpdate.yield(.busyRefusal)
        }
        await client.setHooks(hooks)
        for type in [MessageType.command, .query, .event] {
            await client.register(for: type) { message in await self.handle(message) }
        }
    }

    /// Returns once the agent serves: its first connection attempt has
    /// either made a session or failed and is being retried (a device
    /// without network must still finish starting, so that systemd does
    /// not kill it for taking too long). The text says which.
    public nonisolated func serving() async -> String {
        for await status in servingStatus { return status }
        return "stopping"
    }

    /// A round trip through the agent's actor: the watchdog's proof that
    /// it still runs.
    public func probe() {}

    /// The first connect may fail (no network yet): keep trying with the
    /// configured backoff; after that BackboneClient reconnects by itself.
    /// - Returns: the configuration error that no retry can fix (a
    ///   certificate that does not match its key, an unreadable CA file),
    ///   which stops the agent; `nil` once connected or shutting down.
    /// With several addresses it starts at a random one (so that a fleet
    /// spreads over the nodes) and moves to the next after each failure.
    private func connectUntilConnected() async -> AgentError? {
        let servers = configuration.server.servers
        let backoff = configuration.reconnect.backoff
        var attempt = 0
        var index = Int.random(in: 0..<max(servers.count, 1))
        while !Task.isCancelled && accepting {
            let server = servers[index % servers.count]
            do {
                try await client.connect(to: servers, startingAt: index)
                servingSignal.yield("connected to \(server) as \(configuration.clientID)")
                return nil
            } catch {
                if let misconfigured = Self.unfixable(error) {
                    record([.lastError: misconfigured.message])
                    return misconfigured
                }
                attempt += 1
                let delay = backoff.delay(attempt: attempt)
                logger.warning("cannot connect to the backbone", metadata: [
                    "server": "\(server)", "attempt": "\(attempt)", "error": "\(error)", "retry_in": "\(delay.logText)",
                ])
                record([.lastError: "\(error)", .reconnectAttempts: String(attempt), .nextRetryAt: self.millis(after: delay)])
                servingSignal.yield("connecting to \(server), retrying: \(error)")
                index += 1
                try? await clock.sleep(for: delay)
            }
        }
        return nil
    }

    /// A connect failure that comes from the configuration, not the network.
    private static func unfixable(_ error: any Error) -> AgentError? {
        guard let error = error as? QuicFlowError, error.code == .invalidConfiguration else { return nil }
        return AgentError(
            .invalidConfiguration,
            "\(error.message); fix cert_file, key_file or ca_file in [server] (quicflow-agent check-config), then start the agent again")
    }

    // MARK: - Outbox delivery

    /// Sends pending rows in order, `in_flight` at a time, each waiting for
    /// its ACK; a row leaves the outbox only when a SUCCESS ACK arrived.
    /// Wakes on new rows without polling the table.
    ///
    /// Rows that were waiting when the session began (the backlog of a
    /// disconnect) go out at most `replay_rate` per second; rows written
    /// during the session go at once.
    private func deliver() async {
        await withDiscardingTaskGroup { group in
            // New rows and a (re)connection both wake the loop.
            group.addTask { [wakeDelivery, outbox] in
                for await _ in outbox.changes() { wakeDelivery.signal() }
            }
            await deliverUntilStopped()
            group.cancelAll()
        }
    }

    private func deliverUntilStopped() async {
        let settings = configuration.outbox
        let replayGap = Duration.seconds(1) / settings.replayRate
        var sessionStart: Int64?
        while !Task.isCancelled && accepting {
            guard await client.state == .connected else {
                sessionStart = nil
                await wakeDelivery.wait(timeout: .milliseconds(500))
                continue
            }
            let start = sessionStart ?? wallClock.unixMilliseconds()
            sessionStart = start
            let batch: [OutboxMessage]
            do {
                batch = try await outbox.nextBatch(limit: settings.inFlight)
            } catch {
                logger.error("cannot read the outbox", metadata: ["error": "\(error.message)"])
                await wakeDelivery.wait(timeout: .seconds(1))
                continue
            }
            if batch.isEmpty {
                await wakeDelivery.wait(timeout: .milliseconds(500))
                continue
            }
            // The ACKed rows of a batch leave the outbox in one transaction:
            // one sync to disk per batch instead of one per message. A crash
            // before it sends them again, which the server's de-duplication absorbs.
            let delivered = await withTaskGroup(of: (id: Int64, response: Response)?.self) { group in
                var nextPaced = clock.now()
                for message in batch {
                    group.addTask { await self.deliver(message) }
                    // Pace the backlog so a long one does not flood the server;
                    // sleeps shorter than a millisecond cost more than they pace.
                    if message.createdAt < start || message.attempts > 1 {
                        nextPaced = max(nextPaced, clock.now() - .milliseconds(1)) + replayGap
                        let wait = nextPaced - clock.now()
                        if wait >= .milliseconds(1) {
                            try? await clock.sleep(for: wait)
                        }
                    }
                }
                var delivered: [(id: Int64, response: Response)] = []
                for await outcome in group {
                    if let outcome { delivered.append(outcome) }
                }
                return delivered
            }
            do {
                if try await outbox.markDelivered(delivered) > 0 {
                    record([.lastDeliveryAt: self.millis()])
                }
            } catch {
                logger.error("cannot record deliveries; they will be sent again", metadata: ["count": "\(delivered.count)", "error": "\(error.message)"])
            }
        }
    }

    /// Expires messages once a second whether or not a session is up: a
    /// message past max_age becomes dead while the backbone is unreachable
    /// too. Once a second, not once a batch: expiry scans every pending row
    /// (per batch it made replaying a 100,000-row backlog quadratic).
    private func expireOnSchedule() async -> AgentError? {
        let settings = configuration.outbox
        let path = outbox.path
        let opened = FileStamp.identity(of: path)
        var second = 0
        while !Task.isCancelled && accepting {
            // A deleted or replaced outbox would take new sends into a file
            // this agent never reads: stop, as a start would refuse it.
            let now = FileStamp.identity(of: path)
            if now != opened {
                let what = now == nil ? "deleted" : "replaced by another file"
                return AgentError(
                    .outboxLost,
                    "the outbox \(path) was \(what) while the agent ran; the messages in the file it had open cannot be reached through that path any more. Stopping, so that nothing is queued where no agent reads it: put the file back, or start a new outbox deliberately with `quicflow-agent outbox reset`")
            }
            await expireOld(settings)
            if second % 10 == 0 {
                // The counts a lost outbox is reported with.
                do {
                    try await outbox.recordSnapshot()
                } catch {
                    logger.warning("cannot record the outbox counts in its marker", metadata: ["error": "\(error.message)"])
                }
            }
            second += 1
            try? await clock.sleep(for: .seconds(1))
        }
        return nil
    }

    /// Marks messages past max_age or max_attempts dead.
    private func expireOld(_ settings: AgentConfiguration.OutboxSettings) async {
        do {
            let dead = try await outbox.expire(
                maxAge: settings.maxAge, maxAttempts: settings.maxAttempts == 0 ? nil : settings.maxAttempts)
            if dead > 0 {
                logger.warning("messages given up (max_age or max_attempts); `quicflow-agent outbox retry` queues them again", metadata: ["count": "\(dead)"])
            }
        } catch {
            logger.warning("cannot expire old messages", metadata: ["error": "\(error.message)"])
        }
    }

    /// Sends one row and waits for its ACK; returns the ACK to record, or
    /// `nil` when the row was put back (retried after its backoff, whatever
    /// went wrong: ``Outbox/markRetry(id:error:now:)`` schedules it) or
    /// given up (dead).
    private func deliver(_ row: OutboxMessage) async -> (id: Int64, response: Response)? {
        // Always with an ACK: only an ACK lets a row leave the outbox.
        var message = Message(type: row.type, payload: row.payload, waitAck: true, timeout: configuration.outbox.ackTimeout)
        message.msgID = row.msgID
        let failure: String
        var answered: Response.Status?
        do {
            let response = try await client.send(message)
            // Only SUCCESS means the backbone's application took it. A FAILURE
            // (its handler or hook failed, or there was none) or a TIMEOUT
            // stays here and goes again after the backoff.
            guard response.status != .success else { return (row.id, response) }
            failure = response.error.isEmpty ? "the backbone answered \(response.status)" : response.error
            answered = response.status
        } catch let error as QuicFlowError where error.code == .messageTooLarge {
            // Sending it again cannot help: keep it as dead, with why.
            logger.error("message too large to send; marked dead", metadata: ["msg_id": "\(row.msgID)", "error": "\(error.message)"])
            try? await outbox.markDead(id: row.id, error: error.message)
            return nil
        } catch let error as QuicFlowError {
            // Not sent, not answered (connection lost, or a Go backbone
            // finished the stream without an answer): again after the backoff.
            failure = error.description
        } catch {
            failure = "\(error)"
        }
        do {
            let due = try await outbox.markRetry(id: row.id, error: failure, status: answered)
            logger.notice("the backbone did not take a message; it stays in the outbox and is sent again after its backoff", metadata: [
                "msg_id": "\(row.msgID)", "attempt": "\(row.attempts)", "error": "\(failure)",
                "retry_in": "\(AgentStatus.span(Double(max(0, due - wallClock.unixMilliseconds())) / 1_000))",
            ])
        } catch {
            logger.error("cannot put a message back in the outbox", metadata: ["msg_id": "\(row.msgID)", "error": "\(error.message)"])
        }
        return nil
    }

    // MARK: - Server messages

    private func handle(_ message: IncomingMessage) async -> Response {
        guard accepting else {
            return .failure("the agent \(configuration.clientID) is shutting down and did not run this; send it again once it is back")
        }
        guard message.type == .command else {
            return await runHandler(message)
        }
        if let running = runningCommands[message.msgID] {
            return await running.value
        }
        // Unstructured: a repeat of this msg_id awaits the same run (below),
        // so the run belongs to no one caller; it ends with its handler.
        let run = Task { await self.runCommandOnce(message) }
        runningCommands[message.msgID] = run
        let response = await run.value
        runningCommands[message.msgID] = nil
        return response
    }

    /// Runs a server command unless its msg_id was seen within 10 minutes
    /// (also before a restart): then answers as the first run did.
    private func runCommandOnce(_ message: IncomingMessage) async -> Response {
        let claim: CommandClaim
        do {
            claim = try await outbox.claimCommand(msgID: message.msgID)
        } catch {
            return .failure("the agent cannot record the command, so it did not run it: \(error.message)")
        }
        switch claim {
        case .answered(let response):
            logger.info("command repeated; answering with the stored result", metadata: ["msg_id": "\(message.msgID)"])
            return response
        case .interrupted(let startedAt):
            let started = Date(timeIntervalSince1970: Double(startedAt) / 1_000)
            return .failure("command \(message.msgID) was interrupted: the agent stopped while its handler ran (started \(started)); it was not run again, so its outcome is unknown")
        case .run:
            let response = await runHandler(message)
            do {
                try await outbox.finishCommand(msgID: message.msgID, response: response)
            } catch {
                logger.error("cannot store a command's result; a repeat would be answered as interrupted", metadata: ["msg_id": "\(message.msgID)", "error": "\(error.message)"])
            }
            return response
        }
    }

    private func runHandler(_ message: IncomingMessage) async -> Response {
        let named = message.type == .command ? NamedCommand(message.payload) : nil
        guard let handler = configuration.handler(for: message.type, commandType: named?.name) else {
            return .failure(named.map { "no handler for command \($0.name)" } ?? "no handler for \(message.type)")
        }
        var input = message
        if let named, configuration.commands[named.name] != nil {
            input = IncomingMessage(
                msgID: message.msgID, senderID: message.senderID, type: message.type, payload: named.payload,
                timestamp: message.timestamp)
        }
        let outcome = await runner.run(handler, message: input, clientID: configuration.clientID, command: named?.name)
        do {
            try await outbox.recordHandlerRun(
                HandlerRunRecord(
                    name: named?.name ?? message.type.rawValue, status: outcome.status, duration: outcome.duration,
                    finishedAt: wallClock.unixMilliseconds(), error: outcome.error))
        } catch {
            logger.warning("cannot record a handler run", metadata: ["error": "\(error.message)"])
        }
        return outcome.response
    }

    /// The outbox, for `status` and tests.
    public nonisolated var outboxStore: Outbox { outbox }
}
