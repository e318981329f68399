import Foundation
import QUICTransport
import QuicFlowProtocol

/// The DATA exchange both sides perform (PROTOCOL.md, "Data"): a DATA frame
/// on a new stream and, with wait_ack, the ACK read back from it.
struct MessageExchange: Sendable {
    let io: FrameIO
    let maxMessageSize: Int

    init(maxMessageSize: Int) {
        self.io = FrameIO(maxMessageSize: maxMessageSize)
        self.maxMessageSize = maxMessageSize
    }

    /// Builds the wire message for `message`.
    func dataMessage(_ message: Message, from senderID: String, to receiverID: String) throws(QuicFlowError) -> DataMessage {
        guard message.payload.count <= maxMessageSize else {
            throw QuicFlowError(
                .messageTooLarge,
                "the payload is \(message.payload.count) bytes; maxMessageSize is \(maxMessageSize)")
        }
        var data = DataMessage()
        data.msgID = message.msgID ?? MessageID.make()
        data.senderID = senderID
        data.receiverID = receiverID
        data.type = message.type.wire
        data.payload = Data(message.payload)
        data.waitAck = message.waitAck
        data.timestamp = WallClock.nowMilliseconds()
        return data
    }

    /// What came of a send.
    enum Outcome: Sendable {
        /// Handed to QUIC; no ACK was asked for.
        case sent
        /// The receiver's ACK.
        case acknowledged(Response)
        /// No ACK within the timeout.
        case timedOut
    }

    /// Sends `data` on a new stream of `connection`. With wait_ack the
    /// whole exchange (opening the stream, which may wait for the peer's
    /// stream limit, writing, and reading the ACK) is bounded by `timeout`.
    func send(_ data: DataMessage, on connection: QUICConnection, timeout: Duration) async throws(QuicFlowError) -> Outcome {
        guard data.waitAck else {
            let stream = try await open(on: connection)
            try await io.write(.data(data), to: stream)
            return .sent
        }
        let io = self.io
        let streamBox = StreamSlot()
        let reply = await Race.withTimeout(timeout) { () -> Result<FramePayload, QuicFlowError> in
            do throws(QuicFlowError) {
                let stream = try await self.open(on: connection)
                guard streamBox.set(stream) else {
                    // The timeout fired while the stream was being opened.
                    await stream.reset(errorCode: CloseCode.normal)
                    return .failure(QuicFlowError(.connectionLost, "timed out before the message was sent"))
                }
                try await io.write(.data(data), to: stream)
                return .success(try await io.read(stream))
            } catch {
                return .failure(error)
            }
        }
        guard let reply else {
            // Nobody waits for this ACK any more: release the stream at once.
            if let stream = streamBox.abandon() {
                await stream.stopSending(errorCode: CloseCode.normal)
                await stream.reset(errorCode: CloseCode.normal)
            }
            return .timedOut
        }
        switch reply {
        case .success(.ack(let ack)) where ack.msgID == data.msgID:
            return .acknowledged(Response(ack: ack))
        case .success(.ack(let ack)):
            throw QuicFlowError(.protocolViolation, "the ACK names msg_id \(ack.msgID), expected \(data.msgID)")
        case .success(let other):
            throw QuicFlowError(.protocolViolation, "expected an ACK, got a \(other.frameType) frame")
        case .failure(let error):
            throw error
        }
    }

    /// Answers an inbound DATA frame (PROTOCOL.md, "Data"): refuses an
    /// oversize payload or unknown type with FAILURE, otherwise lets
    /// `handle` produce the response; then writes the ACK when the sender
    /// waits for one, or just finishes the stream. `senderID` is the
    /// authenticated peer, not the frame's claim. Returns `false` when an
    /// ACK was owed but could not be written (the connection dropped).
    @discardableResult
    func answer(
        _ data: DataMessage, on stream: QUICStream, senderID: String,
        handle: (IncomingMessage) async -> Response
    ) async -> Bool {
        let response: Response
        if data.payload.count > maxMessageSize {
            response = .failure("message too large: \(data.payload.count) bytes, maxMessageSize is \(maxMessageSize)")
        } else if let type = MessageType(wire: data.type) {
            response = await handle(
                IncomingMessage(
                    msgID: data.msgID, senderID: senderID, type: type, payload: [UInt8](data.payload),
                    timestamp: data.timestamp))
        } else {
            response = .failure("unknown message type \(data.type.rawValue)")
        }
        guard data.waitAck else {
            try? await stream.finish()
            return true
        }
        do {
            try await io.write(.ack(response.ack(msgID: data.msgID)), to: stream)
            return true
        } catch {
            return false
        }
    }

    private func open(on connection: QUICConnection) async throws(QuicFlowError) -> QUICStream {
        do {
            return try await connection.openStream()
        } catch {
            throw QuicFlowError(.connectionLost, "cannot open a stream: \(error)")
        }
    }
}
