/// An error from the QuicFlow backbone: a stable ``code`` and a message a
/// person can act on.
public struct QuicFlowError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A configuration value is missing, out of range or unreadable.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// The client is not connected (or the server is not running).
        public static let notConnected = Code("notConnected")
        /// No client with that id is connected.
        public static let unknownClient = Code("unknownClient")
        /// Too many acknowledgements are outstanding (maxPromises).
        public static let tooManyPromises = Code("tooManyPromises")
        /// The message is larger than maxMessageSize.
        public static let messageTooLarge = Code("messageTooLarge")
        /// The peer broke the wire protocol.
        public static let protocolViolation = Code("protocolViolation")
        /// The server is stopping or stopped.
        public static let shuttingDown = Code("shuttingDown")
        /// The connection dropped before the exchange completed.
        public static let connectionLost = Code("connectionLost")
        /// The receiver did not take a message sent without wait_ack within
        /// its timeout (it granted no stream or no flow-control window); the
        /// message was not handed to QUIC and its stream was reset.
        public static let stalled = Code("stalled")
        /// The server refused the registration.
        public static let registrationRefused = Code("registrationRefused")
        /// The receiver finished the stream without answering a message sent
        /// with wait_ack (a Go backbone does this when its handler fails or
        /// has no result); nothing says it was handled, so send it again later.
        public static let unanswered = Code("unanswered")
        /// The peer opened a stream of a kind QuicFlow does not carry (the Go
        /// original's SSH, file-transfer and port-forward streams); it was reset.
        public static let foreignStream = Code("foreignStream")

        /// The code's name.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong and what to do.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
