/// An error from the QUIC transport: a stable ``code`` to switch on and a
/// message that says what went wrong and, where possible, what to do.
public struct QUICError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable, Hashable {
            case invalidConfiguration
            case tlsConfiguration
            case bindFailed
            case addressResolution
            case handshakeFailed
            case handshakeTimeout
            case connectionClosed
            case streamReset
            case stopSending
            case streamFinished
            case streamLimit
            case endpointClosed
            case internalError
            case timedOut
        }

        fileprivate let base: Base

        /// A setting is out of range or inconsistent.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// A certificate, key or CA file could not be loaded.
        public static let tlsConfiguration = Code(base: .tlsConfiguration)
        /// The UDP socket could not be bound.
        public static let bindFailed = Code(base: .bindFailed)
        /// The host name did not resolve to an address.
        public static let addressResolution = Code(base: .addressResolution)
        /// The TLS or QUIC handshake was refused (certificate, ALPN, version).
        public static let handshakeFailed = Code(base: .handshakeFailed)
        /// The handshake did not complete within the configured time.
        public static let handshakeTimeout = Code(base: .handshakeTimeout)
        /// The connection is closed; the message says why.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// The peer reset the stream; ``QUICError/applicationErrorCode`` holds its code.
        public static let streamReset = Code(base: .streamReset)
        /// The peer asked us to stop sending; ``QUICError/applicationErrorCode`` holds its code.
        public static let stopSending = Code(base: .stopSending)
        /// The stream's send side was already finished or reset locally.
        public static let streamFinished = Code(base: .streamFinished)
        /// No stream could be opened (the connection is closing).
        public static let streamLimit = Code(base: .streamLimit)
        /// The endpoint was closed.
        public static let endpointClosed = Code(base: .endpointClosed)
        /// ngtcp2 reported an unexpected failure.
        public static let internalError = Code(base: .internalError)
        /// An exchange got no complete answer within its time limit.
        public static let timedOut = Code(base: .timedOut)

        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A message a person can act on.
    public let message: String
    /// The peer's application error code, for ``Code/streamReset`` and ``Code/stopSending``.
    public let applicationErrorCode: UInt64?

    /// Creates an error.
    public init(_ code: Code, _ message: String, applicationErrorCode: UInt64? = nil) {
        self.code = code
        self.message = message
        self.applicationErrorCode = applicationErrorCode
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
