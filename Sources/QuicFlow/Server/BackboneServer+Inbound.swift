import Logging
import QUICTransport
import QuicFlowProtocol
import QuicFlowTime

/// The inbound pipeline: a registered client's streams, heartbeats, and
/// its messages through de-duplication to the handlers, exactly once.
extension BackboneServer {
    /// Handles one stream of a registered client.
    nonisolated func serve(_ stream: QUICStream, of session: ClientSession) async {
        let payload: FramePayload
        do {
            payload = try await exchange.io.read(stream) { late in
                // Bytes after a frame already acted on: the stream is reset; count it.
                // Unstructured: this callback is synchronous, from the reader.
                Task { await self.streamFailed(late) }
            }
        } catch {
            await streamFailed(error)
            return
        }
        if case .ping = payload {
            await touch(session, isHeartbeat: true)
        } else {
            await touch(session, isHeartbeat: false)
        }
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

    /// A message from a device, exactly once: a copy of one still being
    /// handled here waits for its answer; a msg_id the ``ReceivedLog``
    /// answered gets that answer again; one a previous run began and never
    /// finished is handled again, marked ``IncomingMessage/redelivered``.
    /// Only a SUCCESS is remembered: a failure's repeat is handled again.
    func handle(_ message: IncomingMessage) async -> Response {
        metricsState.counters.messagesReceived += 1
        metricsState.counters.bytesReceived += message.payload.count
        metricsState.countThroughput(1)
        let sender = message.senderID
        let msgID = message.msgID
        guard inFlight.claim(sender: sender, msgID: msgID) else {
            return await withCheckedContinuation { inFlight.wait(sender: sender, msgID: msgID, $0) }
        }
        let lookup: ReceivedLookup
        do {
            lookup = try await receivedLog.beginHandling(sender: sender, msgID: msgID)
        } catch {
            // Handling it without the record risks a repeat, never a loss.
            logger.error("cannot record a device message before handling it; a repeat would be handled again", metadata: [
                "msg_id": "\(msgID)", "error": "\(error)",
            ])
            lookup = .new
        }
        var message = message
        switch lookup {
        case .answered(let response):
            metricsState.counters.repeatsAnswered += 1
            logger.info("a repeated message answered from the received log", metadata: [
                "client_id": "\(sender)", "msg_id": "\(msgID)",
            ])
            inFlight.finish(sender: sender, msgID: msgID, with: response)
            return response
        case .inProgress:
            // Being handled elsewhere (another node, or a copy this run's
            // window forgot): the sender repeats a TIMEOUT after its backoff.
            let response = Response.timeout("this message is still being handled; send it again later")
            inFlight.finish(sender: sender, msgID: msgID, with: response)
            return response
        case .interrupted:
            metricsState.counters.redeliveries += 1
            message.redelivered = true
            logger.warning("handling again a message the previous run began and did not finish", metadata: [
                "client_id": "\(sender)", "msg_id": "\(msgID)",
            ])
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
        if response.status != .success { metricsState.counters.messagesFailed += 1 }
        do {
            if response.status == .success {
                try await receivedLog.recordAnswer(sender: sender, msgID: msgID, response)
            } else {
                // Not taken: the device's repeat must be handled again, not answered from the log.
                try await receivedLog.forgetHandling(sender: sender, msgID: msgID)
            }
        } catch {
            logger.error("cannot record the answer to a device message; a repeat would be handled again", metadata: [
                "msg_id": "\(msgID)", "error": "\(error)",
            ])
        }
        inFlight.finish(sender: sender, msgID: msgID, with: response)
        return response
    }

    private func countHeartbeat() {
        metricsState.counters.heartbeatsReceived += 1
        metricsState.counters.heartbeatsSent += 1
    }

    private func countOversizeInbound() {
        metricsState.counters.oversizeInbound += 1
    }

    func streamFailed(_ error: QuicFlowError) {
        if error.code == .foreignStream {
            // Within the Go original's protocol, so not a violation: say what it was.
            logger.notice("reset a stream QuicFlow does not carry: \(error.message)")
            return
        }
        if error.code == .protocolViolation {
            metricsState.counters.decodingErrors += 1
        } else {
            metricsState.counters.networkErrors += 1
        }
        hooks.onError?(error)
    }
}
