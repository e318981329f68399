import NIOCore
import QUICTransport
import QuicFlowProtocol

/// Reads and writes the one frame each stream direction carries
/// (PROTOCOL.md, "Framing"), turning codec and transport failures into
/// ``QuicFlowError``s. A protocol violation resets the stream with code 6.
struct FrameIO: Sendable {
    let maxFrameSize: Int

    init(maxMessageSize: Int) {
        maxFrameSize = maxMessageSize + WireConstants.envelopeAllowance
    }

    /// A reader for one inbound frame.
    var reader: FrameReader { FrameReader(maxFrameSize: maxFrameSize) }

    /// A reader for the answer to a wait_ack DATA frame, which may be none.
    var answerReader: AnswerReader { AnswerReader(maxFrameSize: maxFrameSize) }

    /// Returns the stream's single frame as soon as its last byte arrives,
    /// FIN or not. Bytes after the frame are a protocol violation either
    /// way: in the frame's own chunk they fail this read; arriving later,
    /// once the caller may have acted on the frame, they reset the stream
    /// (code 6) and go to `afterFrame`.
    func read(
        _ stream: QUICStream, afterFrame: (@Sendable (QuicFlowError) -> Void)? = nil
    ) async throws(QuicFlowError) -> FramePayload {
        do {
            var afterOutput: (@Sendable (any Error) -> Void)?
            if let afterFrame {
                let id = stream.id
                afterOutput = { error in afterFrame(Self.failure(error, on: "stream \(id), after its frame")) }
            }
            return try await stream.read(using: reader, afterOutput: afterOutput)
        } catch {
            throw Self.failure(error, on: "stream \(stream.id)")
        }
    }

    /// The bytes of `payload` as one frame.
    func encode(_ payload: FramePayload) throws(QuicFlowError) -> ByteBuffer {
        do {
            return try FrameEncoder(maxFrameSize: maxFrameSize).encode(try Frame(payload))
        } catch {
            throw QuicFlowError(.messageTooLarge, error.message)
        }
    }

    /// Writes `payload` as one frame followed by FIN.
    func write(_ payload: FramePayload, to stream: QUICStream) async throws(QuicFlowError) {
        let bytes = try encode(payload)
        do {
            try await stream.write(bytes, finish: true)
        } catch {
            throw QuicFlowError(.connectionLost, "stream \(stream.id): \(error)")
        }
    }

    /// Maps a failure of reading a frame: a codec error is the peer's
    /// protocol violation (the reader already reset the stream), anything
    /// else means the connection or stream went away.
    static func failure(_ error: any Error, on what: String) -> QuicFlowError {
        switch error {
        case let error as QuicFlowError:
            return error
        case let error as ForeignStreamError:
            return QuicFlowError(.foreignStream, "\(what): \(error)")
        case let error as FrameCodecError:
            return QuicFlowError(.protocolViolation, "\(what): \(error.message)")
        case let error as QUICError:
            return QuicFlowError(.connectionLost, "\(what): \(error.message)")
        default:
            return QuicFlowError(.connectionLost, "\(what): \(error)")
        }
    }
}
