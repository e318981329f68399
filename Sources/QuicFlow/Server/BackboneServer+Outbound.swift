import QuicFlowTime
import Logging
import QUICTransport
import QuicFlowProtocol

/// Outbound: unicast with acknowledgement and its promise limits, and broadcast.
extension BackboneServer {
    /// Sends `message` to a connected client. With `waitAck` it returns the
    /// client's response (or a TIMEOUT response when none came in time);
    /// without, a SUCCESS response once the message is handed to QUIC.
    @discardableResult
    public func send(_ message: Message, to clientID: String) async throws -> Response {
        guard lifecycle.isRunning else {
            throw QuicFlowError(.shuttingDown, "the server is not running; start() it first")
        }
        guard let record = sessions[clientID], record.endedBy == nil else {
            throw QuicFlowError(.unknownClient, "no client '\(clientID)' is connected; clients() lists those that are")
        }
        let data: DataMessage
        do {
            data = try exchange.dataMessage(message, from: configuration.serverID, to: clientID)
        } catch {
            if error.code == .messageTooLarge { metricsState.counters.oversizeOutbound += 1 }
            throw error
        }
        if message.waitAck {
            try takePromise()
        }
        defer { if message.waitAck { activePromises -= 1 } }

        let outcome: MessageExchange.Outcome
        let sentAt = clock.now()
        do {
            outcome = try await exchange.send(
                data, on: record.session.connection, timeout: message.timeout ?? configuration.defaultMessageTimeout)
        } catch {
            metricsState.counters.messagesFailed += 1
            if !lifecycle.isRunning {
                throw QuicFlowError(.shuttingDown, "the server stopped before '\(clientID)' answered message \(data.msgID)")
            }
            metricsState.counters.networkErrors += 1
            throw error
        }
        metricsState.counters.messagesSent += 1
        metricsState.counters.bytesSent += message.payload.count
        metricsState.countThroughput(1)
        hooks.onMessageSent?(clientID, data.msgID)
        switch outcome {
        case .sent:
            return .success()
        case .acknowledged(let response):
            metricsState.counters.promisesCompleted += 1
            metricsState.recordLatency(clock.now() - sentAt)
            return response
        case .timedOut:
            metricsState.counters.promiseTimeouts += 1
            hooks.onPromiseTimeout?(clientID, data.msgID)
            let timeout = message.timeout ?? configuration.defaultMessageTimeout
            return .timeout("no acknowledgement from '\(clientID)' within \(timeout)")
        }
    }

    /// Takes one of the `maxPromises` awaited acknowledgements, or refuses.
    private func takePromise() throws {
        guard activePromises < configuration.maxPromises else {
            metricsState.counters.promiseRefusals += 1
            throw QuicFlowError(
                .tooManyPromises,
                "\(activePromises) acknowledgements are already awaited (maxPromises \(configuration.maxPromises)); retry later or raise maxPromises")
        }
        activePromises += 1
        metricsState.counters.promisesCreated += 1
        if activePromises == configuration.promiseWarnThreshold + 1 {
            metricsState.counters.promiseWarnings += 1
            logger.warning("outstanding acknowledgements crossed the warning threshold", metadata: [
                "active": "\(activePromises)", "threshold": "\(configuration.promiseWarnThreshold)",
            ])
        }
    }

    /// Sends `message` to every connected client without waiting for
    /// acknowledgements, at most 256 at a time; returns how many it reached.
    /// A client whose stream could not be opened or written within the
    /// default message timeout (a dead or stalled connection) is not counted,
    /// and counts as a failed message.
    @discardableResult
    public func broadcast(_ message: Message) async -> Int {
        guard lifecycle.isRunning else { return 0 }
        var message = message
        message.waitAck = false
        guard let data = try? exchange.dataMessage(message, from: configuration.serverID, to: "") else {
            metricsState.counters.encodingErrors += 1
            return 0
        }
        let connections = sessions.live.map(\.session.connection)
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
        metricsState.counters.broadcastsSent += 1
        metricsState.counters.broadcastTargets += reached
        metricsState.counters.messagesSent += reached
        metricsState.counters.messagesFailed += connections.count - reached
        metricsState.counters.bytesSent += reached * message.payload.count
        metricsState.countThroughput(reached)
        hooks.onBroadcast?(reached)
        return reached
    }
}
