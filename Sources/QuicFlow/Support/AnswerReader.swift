import NIOCore
import QUICTransport
import QuicFlowProtocol

/// Reads the answer to a DATA frame sent with wait_ack: one frame, or
/// `nil` when the receiver finished the stream without sending a byte
/// (the Go original does this when its handler fails or has no result).
/// Any other incomplete answer is a protocol violation, as in ``FrameReader``.
struct AnswerReader: QUICStreamReader {
    private var frame: FrameReader
    private var received = false

    init(maxFrameSize: Int) {
        frame = FrameReader(maxFrameSize: maxFrameSize)
    }

    var violationErrorCode: UInt64 { frame.violationErrorCode }

    mutating func consume(_ bytes: ByteBuffer) throws -> FramePayload?? {
        if bytes.readableBytes > 0 { received = true }
        return try frame.consume(bytes).map { .some($0) }
    }

    mutating func finish() throws -> FramePayload? {
        guard received else { return nil }
        return try frame.finish()
    }
}
