/// An error from the server daemon: a stable ``code`` and a message that
/// says what is wrong and what to do.
public struct ServerAppError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A setting is missing, out of range or contradicts another.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// A file (token, certificate) cannot be read.
        public static let unreadableFile = Code("unreadableFile")
        /// The message store (SQLite) cannot be opened or written.
        public static let storage = Code("storage")
        /// Another quicflow-server holds the data directory.
        public static let alreadyRunning = Code("alreadyRunning")

        /// The code's name.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong and what to do about it.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
