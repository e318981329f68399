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

    /// Reads the stream to its FIN and returns its single frame's payload.
    func read(_ stream: QUICStream) async throws(QuicFlowError) -> FramePayload {
        var decoder = FrameDecoder(maxFrameSize: maxFrameSize)
        do {
            while let chunk = try await stream.read() {
                try decoder.feed(chunk)
            }
            guard let frame = try decoder.finish() else {
                throw FrameCodecError(.truncated, "the stream ended without a frame")
            }
            return try frame.decodePayload()
        } catch let error as FrameCodecError {
            await stream.stopSending(errorCode: CloseCode.protocolViolation)
            await stream.reset(errorCode: CloseCode.protocolViolation)
            throw QuicFlowError(.protocolViolation, "stream \(stream.id): \(error.message)")
        } catch let error as QUICError {
            throw QuicFlowError(.connectionLost, "stream \(stream.id): \(error.message)")
        } catch {
            throw QuicFlowError(.connectionLost, "stream \(stream.id): \(error)")
        }
    }

    /// Writes `payload` as one frame followed by FIN.
    func write(_ payload: FramePayload, to stream: QUICStream) async throws(QuicFlowError) {
        let bytes: ByteBuffer
        do {
            bytes = try FrameEncoder(maxFrameSize: maxFrameSize).encode(try Frame(payload))
        } catch {
            throw QuicFlowError(.messageTooLarge, error.message)
        }
        do {
            try await stream.write(bytes, finish: true)
        } catch {
            throw QuicFlowError(.connectionLost, "stream \(stream.id): \(error)")
        }
    }
}
