import NIOCore
import QUICTransport
import QuicFlowProtocol

/// Decodes the one frame a stream direction carries, on the transport's
/// event loop as the bytes arrive (PROTOCOL.md, "Framing"). The frame is
/// handed out as soon as its last byte arrives, without waiting for FIN
/// (the Go original keeps its COMMAND stream open until it has the ACK);
/// bytes after it are still refused, whenever they come. An oversize
/// length prefix is refused from the first chunk, before the body is
/// buffered; any codec failure resets the stream with code 6.
///
/// A stream that opens with the Go original's QSSH header (an SSH,
/// file-transfer or port-forward stream) is refused with
/// ``ForeignStreamError`` rather than as a protocol violation.
struct FrameReader: QUICStreamReader {
    private var decoder: FrameDecoder
    /// The first bytes, held only while they may still be a QSSH header.
    private var head: [UInt8] = []
    private var sniffing = true

    init(maxFrameSize: Int) {
        decoder = FrameDecoder(maxFrameSize: maxFrameSize)
    }

    var violationErrorCode: UInt64 { CloseCode.protocolViolation }

    mutating func consume(_ bytes: ByteBuffer) throws -> FramePayload? {
        var bytes = bytes
        if sniffing {
            // A frame's length prefix starts with 0x00 (no frame is 16 MiB),
            // so almost every stream leaves this on its first byte.
            let held = head
            head += bytes.readableBytesView.prefix(ForeignStreamError.headerLength - head.count)
            guard ForeignStreamError.mayBeHeader(head) else {
                sniffing = false
                head = []
                if !held.isEmpty {
                    var whole = ByteBuffer(bytes: held)
                    whole.writeImmutableBuffer(bytes)
                    bytes = whole
                }
                return try feed(bytes)
            }
            if head.count == ForeignStreamError.headerLength {
                throw ForeignStreamError(header: head)
            }
            return nil
        }
        return try feed(bytes)
    }

    mutating func finish() throws -> FramePayload {
        if sniffing, !head.isEmpty {
            // A few bytes that began like a QSSH header, then FIN.
            try decoder.feed(ByteBuffer(bytes: head))
        }
        guard let frame = try decoder.finish() else {
            throw FrameCodecError(.truncated, "the stream ended without a frame")
        }
        return try frame.decodePayload()
    }

    private mutating func feed(_ bytes: ByteBuffer) throws -> FramePayload? {
        try decoder.feed(bytes)
        return try decoder.nextFrame()?.decodePayload()
    }
}
