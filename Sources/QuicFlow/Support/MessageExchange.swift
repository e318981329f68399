import Foundation
import NIOCore
import QUICTransport
import QuicFlowProtocol
import QuicFlowTime

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
        data.timestamp = WallClock.system.unixMilliseconds()
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

    /// Sends `data` on a new stream of `connection`. Without wait_ack it
    /// returns once the message is handed to QUIC, and throws
    /// ``QuicFlowError/Code/stalled`` when the receiver does not take it
    /// within `timeout` (a device that grants no streams cannot hold a
    /// broadcast). With wait_ack the
    /// whole exchange (opening the stream, which may wait for the peer's
    /// stream limit, writing, and reading the ACK) is bounded by `timeout`
    /// and runs on the transport's event loop without hopping back in
    /// between; a late exchange resets its stream so neither side keeps it.
    /// An ACK or, from a Go backbone, a DATA frame of type RESPONSE (a
    /// success carrying its payload) answers it; a stream finished with no
    /// answer throws ``QuicFlowError/Code/unanswered``.
    func send(_ data: DataMessage, on connection: QUICConnection, timeout: Duration) async throws(QuicFlowError) -> Outcome {
        let request = try io.encode(.data(data))
        guard data.waitAck else {
            do {
                try await connection.send(request, timeout: TimeAmount(saturating: timeout), abandonErrorCode: CloseCode.normal)
            } catch let error as QUICError where error.code == .timedOut {
                throw QuicFlowError(.stalled, "message \(data.msgID) was not delivered: \(error.message)")
            } catch {
                throw QuicFlowError(.connectionLost, "cannot send message \(data.msgID): \(error)")
            }
            return .sent
        }
        let reply: FramePayload?
        do {
            reply = try await connection.exchange(
                sending: request, readingWith: io.answerReader,
                timeout: TimeAmount(saturating: timeout), abandonErrorCode: CloseCode.normal)
        } catch let error as QUICError where error.code == .timedOut {
            return .timedOut
        } catch {
            throw FrameIO.failure(error, on: "message \(data.msgID)")
        }
        switch reply {
        case .ack(let ack)? where ack.msgID == data.msgID:
            return .acknowledged(Response(ack: ack))
        case .ack(let ack)?:
            throw QuicFlowError(.protocolViolation, "the ACK names msg_id \(ack.msgID), expected \(data.msgID)")
        case .data(let answer)? where answer.type == .response:
            // The Go original answers with its router's result as a RESPONSE
            // (PROTOCOL.md, "How the Go original really behaves").
            return .acknowledged(.success([UInt8](answer.payload)))
        case let other?:
            throw QuicFlowError(.protocolViolation, "expected an ACK or a RESPONSE, got a \(other.frameType) frame")
        case nil:
            throw QuicFlowError(
                .unanswered,
                "message \(data.msgID): the receiver finished the stream without an answer (a Go backbone does this when its handler fails or has no result); nothing says it was handled")
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
}
