public import NIOCore
import SwiftProtobuf

/// Decodes the one length-prefixed ``Frame`` a stream direction carries, incrementally,
/// as its bytes arrive.
///
/// Feed each chunk read from the stream with ``feed(_:)``, ask for the frame with
/// ``nextFrame()``, and call ``finish()`` when the stream ends (FIN):
///
/// ```swift
/// var decoder = FrameDecoder()
/// for try await chunk in stream {
///     try decoder.feed(chunk)
///     if let frame = try decoder.nextFrame() { handle(frame) }
/// }
/// try decoder.finish()
/// ```
///
/// The decoder enforces PROTOCOL.md's framing rules:
/// - a declared length of 0, or above ``maxFrameSize``, is rejected as soon as the
///   4-byte prefix arrives, before any of the payload;
/// - it never allocates the declared length up front: its buffer grows only with the
///   bytes actually received, so a peer cannot reserve memory it does not send;
/// - bytes after the first complete frame, and a stream that ends before a complete frame,
///   are protocol violations.
///
/// Every error it throws carries application error code 6 (protocol violation). After an
/// error the decoder is spent: every later call throws the same error.
public struct FrameDecoder: Sendable {
    private enum State: Sendable {
        /// Still collecting the prefix and the frame's bytes.
        case receiving
        /// The whole frame is buffered but not yet handed out.
        case complete
        /// The frame was handed out by `nextFrame()` or `finish()`.
        case delivered
        /// A violation was detected; the error repeats on every call.
        case failed(FrameCodecError)
    }

    /// The largest encoded ``Frame`` (without the length prefix) the decoder accepts.
    public let maxFrameSize: Int

    private var state: State = .receiving
    // Only bytes that actually arrived, never sized from the declared length.
    private var buffer = ByteBuffer()
    private var frameLength: Int?

    /// Creates a decoder.
    ///
    /// - Parameter maxFrameSize: The largest encoded ``Frame`` to accept, in bytes; the
    ///   default is ``FrameLimits/defaultMaxFrameSize``. Must be at least 1.
    public init(maxFrameSize: Int = FrameLimits.defaultMaxFrameSize) {
        precondition(maxFrameSize >= 1, "FrameDecoder: maxFrameSize must be at least 1, got \(maxFrameSize)")
        self.maxFrameSize = maxFrameSize
    }

    /// The length the prefix declared, once all 4 prefix bytes have arrived and passed
    /// the limits; `nil` before that.
    public var declaredLength: Int? { frameLength }

    /// How many received bytes (prefix included) are held, waiting for the frame to
    /// complete.
    public var bufferedByteCount: Int { buffer.readableBytes }

    /// The capacity of the storage holding received bytes. It follows what was
    /// received, not what the prefix declared.
    public var bufferCapacity: Int { buffer.capacity }

    /// Whether the whole frame has arrived (whether or not it was handed out yet).
    public var hasCompleteFrame: Bool {
        switch state {
        case .complete, .delivered: true
        case .receiving, .failed: false
        }
    }

    /// Adds bytes read from the stream.
    ///
    /// - Parameter bytes: The next chunk of the stream, in order. Empty chunks are fine.
    /// - Throws: ``FrameCodecError`` (application error 6):
    ///   ``FrameCodecError/Code/emptyFrame`` or ``FrameCodecError/Code/frameTooLarge``
    ///   as soon as the prefix is complete and declares 0 or more than ``maxFrameSize``;
    ///   ``FrameCodecError/Code/trailingBytes`` if the chunk holds bytes beyond the end
    ///   of the frame, or arrives after it.
    public mutating func feed(_ bytes: ByteBuffer) throws(FrameCodecError) {
        var bytes = bytes
        switch state {
        case .failed(let error):
            throw error
        case .complete, .delivered:
            guard bytes.readableBytes == 0 else {
                throw fail(trailing: bytes.readableBytes)
            }
            return
        case .receiving:
            break
        }

        if frameLength == nil {
            // Take only what completes the prefix, so the limit check runs before any
            // payload byte is stored.
            let missing = FrameLimits.lengthPrefixSize - buffer.readableBytes
            var prefixPart = bytes.readSlice(length: min(missing, bytes.readableBytes))!
            buffer.writeBuffer(&prefixPart)
            guard buffer.readableBytes == FrameLimits.lengthPrefixSize else { return }
            try checkPrefix()
        }
        guard let frameLength else { return }

        let missing = FrameLimits.lengthPrefixSize + frameLength - buffer.readableBytes
        guard bytes.readableBytes <= missing else {
            throw fail(trailing: bytes.readableBytes - missing)
        }
        let received = bytes.readableBytes
        buffer.writeBuffer(&bytes)
        if received == missing {
            state = .complete
        }
    }

    /// Returns the frame once all its bytes have arrived.
    ///
    /// - Returns: The decoded frame the first time it is complete; `nil` while more
    ///   bytes are needed and after the frame was handed out.
    /// - Throws: ``FrameCodecError/Code/malformed`` (application error 6) if the bytes
    ///   are not a protobuf `Frame`, or the error an earlier call detected.
    public mutating func nextFrame() throws(FrameCodecError) -> Frame? {
        switch state {
        case .failed(let error):
            throw error
        case .receiving, .delivered:
            return nil
        case .complete:
            break
        }
        buffer.moveReaderIndex(forwardBy: FrameLimits.lengthPrefixSize)
        let frame: Frame
        do {
            frame = try Frame(serializedBytes: buffer.readableBytesSpan)
        } catch {
            throw fail(
                .malformed,
                "the \(buffer.readableBytes)-byte frame is not a valid quic.backbone.v1.Frame (\(error)); the peer speaks another protocol or version"
            )
        }
        // The frame is decoded; drop the bytes so the decoder holds no memory for it.
        buffer = ByteBuffer()
        state = .delivered
        return frame
    }

    /// Checks the end of the stream (FIN): exactly one complete frame must have arrived.
    ///
    /// - Returns: The frame if ``nextFrame()`` has not handed it out yet, else `nil`.
    /// - Throws: ``FrameCodecError/Code/truncated`` (application error 6) if the stream
    ///   ended before a complete frame, including an empty stream;
    ///   ``FrameCodecError/Code/malformed`` as ``nextFrame()`` does; or the error an
    ///   earlier call detected.
    public mutating func finish() throws(FrameCodecError) -> Frame? {
        switch state {
        case .failed(let error):
            throw error
        case .complete:
            return try nextFrame()
        case .delivered:
            return nil
        case .receiving:
            let received = buffer.readableBytes
            if let frameLength {
                throw fail(
                    .truncated,
                    "the stream ended after \(received - FrameLimits.lengthPrefixSize) of the \(frameLength) frame bytes its prefix declared; the peer stopped mid-frame"
                )
            }
            throw fail(
                .truncated,
                "the stream ended after \(received) of the \(FrameLimits.lengthPrefixSize) length-prefix bytes; the peer sent no complete frame"
            )
        }
    }

    private mutating func checkPrefix() throws(FrameCodecError) {
        let length = Int(buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self)!)
        guard length > 0 else {
            throw fail(.emptyFrame, "the length prefix declares an empty frame (0 bytes); PROTOCOL.md forbids it")
        }
        guard length <= maxFrameSize else {
            throw fail(
                .frameTooLarge,
                "the length prefix declares \(length) bytes, over this receiver's limit of \(maxFrameSize) bytes; the peer must send smaller frames or the limit must be raised on both sides"
            )
        }
        frameLength = length
    }

    private mutating func fail(trailing count: Int) -> FrameCodecError {
        fail(
            .trailingBytes,
            "\(count) bytes arrived after the complete frame; a stream direction carries exactly one frame (PROTOCOL.md), so the peer must open a new stream per message"
        )
    }

    private mutating func fail(_ code: FrameCodecError.Code, _ message: String) -> FrameCodecError {
        let error = FrameCodecError.protocolViolation(code, message)
        state = .failed(error)
        // Nothing more will be decoded; release what was received.
        buffer = ByteBuffer()
        return error
    }
}
