import NIOCore
import QUICTransport
import QuicFlowProtocol

/// Decodes the one frame a stream direction carries, on the transport's
/// event loop as the bytes arrive (PROTOCOL.md, "Framing"). An oversize
/// length prefix is refused from the first chunk, before the body is
/// buffered; any codec failure resets the stream with code 6.
struct FrameReader: QUICStreamReader {
    private var decoder: FrameDecoder

    init(maxFrameSize: Int) {
        decoder = FrameDecoder(maxFrameSize: maxFrameSize)
    }

    var violationErrorCode: UInt64 { CloseCode.protocolViolation }

    mutating func consume(_ bytes: ByteBuffer) throws {
        try decoder.feed(bytes)
    }

    mutating func finish() throws -> FramePayload {
        guard let frame = try decoder.finish() else {
            throw FrameCodecError(.truncated, "the stream ended without a frame")
        }
        return try frame.decodePayload()
    }
}
