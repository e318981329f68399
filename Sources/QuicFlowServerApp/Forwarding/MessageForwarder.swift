import Foundation
import Logging
import QuicFlow
import QuicFlowConfigFile
import QuicFlowTime

/// Sends the admin API's unicasts and keeps their state in the
/// ``MessageRepository``: delivers queued messages when their client registers,
/// expires those whose time runs out, and completes timed-out ones when a
/// late RESPONSE arrives.
///
/// A queued message stays `queued` until its ACK arrives, so a server that
/// stops half-way sends it again after a restart; the message keeps its
/// msg_id, which the agent's de-duplication recognises.
actor MessageForwarder {
    private let server: BackboneServer
    private let messages: any MessageRepository
    /// What devices sent (the backbone's), purged past the msg_id window.
    private let receivedLog: any ReceivedLog
    /// How long delivered and expired messages are kept for lookups.
    static let retention: Duration = .seconds(7 * 24 * 3600)
    /// How long past its ACK timeout a queued message's delivery keeps its
    /// claim (cluster: another node waits that long if this one dies).
    static let claimMargin: Duration = .seconds(5)
    private let wallClock: WallClock
    /// The monotonic clock of retries and sweeps.
    private let clock: ElapsedClock
    private let events: any EventSink
    private let logger: Logger
    /// Clients whose queue is being delivered right now, so that a
    /// reconnect during a delivery does not start a second one.
    private var delivering: Set<String> = []
    /// Clients that gained messages or reconnected during their delivery.
    private var deliverAgain: Set<String> = []
    /// When the sweep next drops old finished messages: hourly (a minute in
    /// memory), not every second (that table holds every unicast of the last 7 days).
    private var nextPurge: Duration = .zero
    /// How long answers to device messages are remembered (the msg_id window).
    private let receivedWindow: Duration
    /// When the sweep next forgets answers past ``receivedWindow``.
    private var nextReceivedPurge: Duration = .zero
    /// The wait after each failed delivery of a queued message.
    private let retryBackoff: Backoff
    /// Queued messages whose last delivery failed, by msg_id: how often, and
    /// when the next try may start. In memory: a restart starts a message's
    /// backoff over (its first try after a restart is a new delivery).
    private var retries: [String: DeliveryRetry] = [:]
    /// Clients whose queue should be delivered; ``runDeliveries()`` runs
    /// each request as its child task, so every delivery belongs to the
    /// forwarder service's run() and ends with it.
    private let deliveryRequests: AsyncStream<String>
    private let deliveryRequester: AsyncStream<String>.Continuation

    init(
        server: BackboneServer, messages: any MessageRepository, events: any EventSink, receivedWindow: Duration,
        retryBackoff: Backoff, logger: Logger, wallClock: WallClock = .system, clock: ElapsedClock = .continuous
    ) {
        self.clock = clock
        self.server = server
        self.retryBackoff = retryBackoff
        self.receivedWindow = receivedWindow
        self.messages = messages
        self.receivedLog = server.receivedLog
        self.wallClock = wallClock
        self.events = events
        self.logger = logger
        (deliveryRequests, deliveryRequester) = AsyncStream.makeStream(of: String.self)
    }

    /// Asks for the queue of `clientID` to be delivered (it registered, or
    /// gained a message); ``runDeliveries()`` does it. Callable from the
    /// backbone's synchronous hooks.
    nonisolated func requestDelivery(to clientID: String) {
        deliveryRequester.yield(clientID)
    }

    /// Runs the requested deliveries as child tasks until cancelled; a
    /// cancelled delivery leaves its messages queued for the next run.
    nonisolated func runDeliveries() async {
        await withDiscardingTaskGroup { group in
            for await clientID in deliveryRequests {
                group.addTask { await self.deliver(to: clientID) }
            }
        }
    }

    /// Sends `message` (its msgID set) to `clientID`; when the client is
    /// offline and `ttl` is given, queues it instead.
    /// - Throws: ``QuicFlowError`` from the send (unknownClient when offline
    ///   without `ttl`, tooManyPromises, messageTooLarge), or
    ///   ``ServerAppError`` (`storage`) when a message to queue cannot be stored.
    func send(_ message: Message, to clientID: String, queueFor ttl: Duration?) async throws -> ForwardOutcome {
        let msgID = message.msgID ?? ""
        let start = clock.now()
        let now = wallClock.unixSeconds()
        var record = StoredMessage(
            msgID: msgID, clientID: clientID, type: message.type.rawValue, payload: Data(message.payload),
            timeoutMilliseconds: Int((message.timeout ?? .seconds(30)).wholeMilliseconds), state: .sent, createdAt: now,
            expiresAt: nil, updatedAt: now, status: nil, result: nil, error: nil, late: false)
        let response: Response
        do {
            response = try await server.send(message, to: clientID)
        } catch let error as QuicFlowError where error.code == .unknownClient {
            guard let ttl else { throw error }
            record.state = .queued
            record.expiresAt = now + Double(ttl.wholeMilliseconds) / 1_000
            try await messages.insert(record)
            var event = ServerEvent("queued")
            event.clientID = clientID
            event.msgID = msgID
            event.type = message.type.rawValue
            events.publish(event)
            // The client may have registered between the failed send and the insert.
            if await server.clientInfo(clientID) != nil {
                requestDelivery(to: clientID)
            }
            return .queued
        }
        let latency = clock.now() - start
        if message.waitAck {
            settle(&record, with: response)
        }
        do {
            try await messages.insert(record)
        } catch {
            // The device has the message and the caller gets its answer; only
            // the later lookup by msg_id is lost, so that is no reason to fail.
            logger.error("cannot record a sent message", metadata: ["msg_id": "\(msgID)", "error": "\(error)"])
        }
        return .answered(message.waitAck ? response : nil, latency: latency)
    }

    /// Delivers the messages queued for `clientID`, oldest first, one at a
    /// time; stops when the client goes away again.
    func deliver(to clientID: String) async {
        guard !delivering.contains(clientID) else {
            deliverAgain.insert(clientID)
            return
        }
        delivering.insert(clientID)
        defer { delivering.remove(clientID) }
        repeat {
            deliverAgain.remove(clientID)
            while true {
                // Shutting down: what is left stays queued for the next run.
                guard !Task.isCancelled else { return }
                let claim: QueueClaim
                do {
                    claim = try await messages.claimNext(for: clientID, margin: Self.claimMargin)
                } catch {
                    logger.error("cannot read queued messages", metadata: ["client_id": "\(clientID)", "error": "\(error)"])
                    return
                }
                // Empty, or another node still delivers the head (the device
                // moved here from it): the sweep asks again.
                guard case .claimed(var record) = claim else { break }
                guard let type = MessageType(rawValue: record.type) else {
                    // Only a newer build could have stored it; it would block the queue forever.
                    do {
                        try await messages.update(
                            record.msgID, state: .expired, status: nil, result: nil,
                            error: "this server cannot send messages of type '\(record.type)'", late: false)
                    } catch {
                        return
                    }
                    continue
                }
                if let retry = retries[record.msgID], retry.due > clock.now() {
                    // Waiting out its backoff; the ones behind it wait too, to keep the order.
                    try? await messages.releaseClaim(record.msgID)
                    return
                }
                var message = Message(
                    type: type, payload: [UInt8](record.payload), waitAck: true,
                    timeout: .milliseconds(record.timeoutMilliseconds))
                message.msgID = record.msgID
                let response: Response
                do {
                    response = try await server.send(message, to: clientID)
                } catch let error as QuicFlowError where error.code == .unknownClient {
                    // Offline again; the rest waits for the next registration, wherever it is.
                    try? await messages.releaseClaim(record.msgID)
                    return
                } catch where Task.isCancelled {
                    // Shutting down; it stays queued and its backoff is not its fault.
                    // The claim ends with this run.
                    return
                } catch {
                    // Not taken (no answer, promises exhausted, the device dropped):
                    // the sweep tries again once the backoff has passed.
                    try? await messages.releaseClaim(record.msgID)
                    let attempts = (retries[record.msgID]?.attempts ?? 0) + 1
                    let delay = retryBackoff.delay(attempt: attempts)
                    retries[record.msgID] = DeliveryRetry(attempts: attempts, due: clock.now() + delay)
                    logger.warning("cannot deliver a queued message yet; it stays queued", metadata: [
                        "client_id": "\(clientID)", "msg_id": "\(record.msgID)", "error": "\(error)",
                        "attempt": "\(attempts)", "retry_in": "\(delay.logText)",
                    ])
                    return
                }
                retries[record.msgID] = nil
                settle(&record, with: response)
                do {
                    try await messages.update(
                        record.msgID, state: record.state, status: record.status, result: record.result,
                        error: record.error, late: false)
                } catch {
                    // It stays queued, and is sent again under the same msg_id
                    // (the agent answers a repeat from its own log); stop here
                    // rather than send the next one ahead of it.
                    logger.error("cannot record a delivery", metadata: ["msg_id": "\(record.msgID)", "error": "\(error)"])
                    return
                }
                var event = ServerEvent("delivered")
                event.clientID = clientID
                event.msgID = record.msgID
                event.type = record.type
                event.status = record.status
                event.setResult(response.result)
                if !response.error.isEmpty { event.error = response.error }
                events.publish(event)
            }
        } while deliverAgain.contains(clientID)
    }

    /// Completes the message a RESPONSE answers late, if the store has it.
    func complete(_ late: LateResponse) async {
        do {
            try await messages.update(
                late.inReplyTo, state: .delivered, status: late.status.lowercased(), result: late.result,
                error: late.error ?? "", late: true)
        } catch {
            logger.error("cannot record a late response", metadata: ["in_reply_to": "\(late.inReplyTo)", "error": "\(error)"])
        }
    }

    /// Expires queued messages whose time ran out, starts deliveries that a
    /// registration race or a busy server left behind, and once an hour (a
    /// minute in memory)
    /// drops finished messages past the store's retention; answers to device
    /// messages are forgotten once past the msg_id window.
    func sweep() async {
        do {
            if clock.now() >= nextPurge {
                // In memory the record limit is kept every minute.
                nextPurge = clock.now() + (messages.isDurable ? .seconds(3_600) : .seconds(60))
                try await messages.purgeFinished(olderThan: Self.retention)
            }
            if clock.now() >= nextReceivedPurge {
                nextReceivedPurge = clock.now() + min(receivedWindow / 10, .seconds(60))
                try await receivedLog.purge(olderThan: receivedWindow)
            }
            for record in try await messages.expire() {
                retries[record.msgID] = nil
                var event = ServerEvent("expired")
                event.clientID = record.clientID
                event.msgID = record.msgID
                event.type = record.type
                events.publish(event)
                logger.notice("a queued message expired", metadata: ["client_id": "\(record.clientID)", "msg_id": "\(record.msgID)"])
            }
            for clientID in try await messages.clientsWithQueuedMessages() where !delivering.contains(clientID) {
                if await server.clientInfo(clientID) != nil {
                    requestDelivery(to: clientID)
                }
            }
        } catch {
            // Cancelled because the server is stopping (a port it could not
            // bind, say): not a store failure, so nothing to report.
            if Task.isCancelled { return }
            logger.error("the message store sweep failed", metadata: ["error": "\(error)"])
        }
    }

    /// Records an ACK in `record`: delivered, or still `sent` when the ACK
    /// was a timeout (a late RESPONSE may bring the result).
    private func settle(_ record: inout StoredMessage, with response: Response) {
        record.state = response.status == .timeout ? .sent : .delivered
        record.status = response.status.rawValue
        record.result = Data(response.result)
        record.error = response.error
        record.updatedAt = wallClock.unixSeconds()
    }
}
