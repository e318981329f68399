public import NIOCore
import SwiftProtobuf

/// Encodes a ``Frame`` for the wire: a big-endian `u32` length, then the protobuf bytes.
///
/// The encoder refuses frames larger than its limit instead of sending something the
/// peer would reject (and reset the stream for).
///
/// ```swift
/// let encoder = FrameEncoder()
/// let bytes = try encoder.encode(try .ping(clientID: "device-7"))
/// ```
public struct FrameEncoder: Sendable {
    /// The largest encoded ``Frame`` (without the length prefix) this encoder produces.
    public let maxFrameSize: Int

    /// Creates an encoder.
    ///
    /// - Parameter maxFrameSize: The largest encoded ``Frame`` to produce, in bytes. It
    ///   should not exceed the peer's limit; the default is
    ///   ``FrameLimits/defaultMaxFrameSize``. Must be at least 1.
    public init(maxFrameSize: Int = FrameLimits.defaultMaxFrameSize) {
        precondition(maxFrameSize >= 1, "FrameEncoder: maxFrameSize must be at least 1, got \(maxFrameSize)")
        self.maxFrameSize = maxFrameSize
    }

    /// Encodes a frame into a new buffer.
    ///
    /// - Parameter frame: The frame to encode.
    /// - Returns: The length prefix followed by the frame's protobuf bytes.
    /// - Throws: ``FrameCodecError`` with code ``FrameCodecError/Code/frameTooLarge``
    ///   when the encoded frame exceeds ``maxFrameSize``, or
    ///   ``FrameCodecError/Code/emptyFrame`` when it encodes to no bytes at all (a frame
    ///   whose fields are all defaults), which the peer would reject.
    public func encode(_ frame: Frame) throws(FrameCodecError) -> ByteBuffer {
        var buffer = ByteBuffer()
        try encode(frame, into: &buffer)
        return buffer
    }

    /// Appends an encoded frame to a buffer.
    ///
    /// On failure the buffer is left unchanged.
    ///
    /// - Parameters:
    ///   - frame: The frame to encode.
    ///   - buffer: The buffer to append the length prefix and protobuf bytes to.
    /// - Throws: ``FrameCodecError``, as ``encode(_:)`` does.
    public func encode(_ frame: Frame, into buffer: inout ByteBuffer) throws(FrameCodecError) {
        let bytes: [UInt8]
        do {
            bytes = try frame.serializedBytes()
        } catch {
            throw FrameCodecError(.encodingFailed, "could not serialize the frame: \(error)")
        }
        // proto3 omits default values, so an all-default Frame is zero bytes, which
        // PROTOCOL.md forbids on the wire.
        guard !bytes.isEmpty else {
            throw FrameCodecError(
                .emptyFrame,
                "the frame encodes to 0 bytes (type, payload and timestamp are all unset); set its type"
            )
        }
        let limit = min(maxFrameSize, FrameLimits.largestEncodableFrameSize)
        guard bytes.count <= limit else {
            throw FrameCodecError(
                .frameTooLarge,
                "the encoded frame is \(bytes.count) bytes, over the limit of \(limit) bytes; send a smaller payload"
            )
        }
        buffer.reserveCapacity(minimumWritableBytes: FrameLimits.lengthPrefixSize + bytes.count)
        buffer.writeInteger(UInt32(bytes.count), endianness: .big)
        buffer.writeBytes(bytes)
    }
}
