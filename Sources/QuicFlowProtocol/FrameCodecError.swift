/// An error from encoding or decoding frames: a stable ``code`` to switch on and a
/// message that says what went wrong and what to do.
///
/// Errors about bytes a peer sent are protocol violations: they carry
/// ``applicationErrorCode`` 6, the code PROTOCOL.md assigns for resetting the stream
/// (and, when they repeat, closing the connection). Errors about frames this side wants
/// to send carry no application error code; nothing was put on the wire.
public struct FrameCodecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable, Hashable {
            case emptyFrame
            case frameTooLarge
            case malformed
            case trailingBytes
            case truncated
            case unexpectedPayload
            case encodingFailed
        }

        fileprivate let base: Base

        /// The length prefix declared 0 bytes; PROTOCOL.md forbids empty frames.
        public static let emptyFrame = Code(base: .emptyFrame)
        /// The frame is larger than the frame limit (declared by a peer's prefix, or
        /// encoded by this side).
        public static let frameTooLarge = Code(base: .frameTooLarge)
        /// The frame's bytes are not a valid protobuf `Frame`.
        public static let malformed = Code(base: .malformed)
        /// Bytes arrived after the first complete frame; a stream direction carries one
        /// frame only.
        public static let trailingBytes = Code(base: .trailingBytes)
        /// The stream ended before a complete frame arrived.
        public static let truncated = Code(base: .truncated)
        /// The frame's type is unknown, or its payload is not the message its type names.
        public static let unexpectedPayload = Code(base: .unexpectedPayload)
        /// SwiftProtobuf could not serialize an outgoing message.
        public static let encodingFailed = Code(base: .encodingFailed)

        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// The application error code PROTOCOL.md assigns to a protocol violation (6).
    public static let protocolViolationErrorCode: UInt64 = 6

    /// What kind of failure this is.
    public let code: Code
    /// A message a person can act on.
    public let message: String
    /// The application error code to reset the stream with: 6 (protocol violation) for
    /// errors about bytes a peer sent, `nil` for errors about a frame this side built.
    public let applicationErrorCode: UInt64?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What kind of failure this is.
    ///   - message: What went wrong and what to do.
    ///   - applicationErrorCode: The application error code for the stream reset, if the
    ///     error is the peer's fault.
    public init(_ code: Code, _ message: String, applicationErrorCode: UInt64? = nil) {
        self.code = code
        self.message = message
        self.applicationErrorCode = applicationErrorCode
    }

    /// Creates an error for bytes a peer sent, with application error code 6.
    static func protocolViolation(_ code: Code, _ message: String) -> FrameCodecError {
        FrameCodecError(code, message, applicationErrorCode: protocolViolationErrorCode)
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
