/// A failure talking to the admin API: a stable ``code`` and a message
/// that says what to check.
public struct AdminClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The `--admin` URL cannot be used.
        public static let invalidURL = Code("invalidURL")
        /// The token file cannot be read or is empty.
        public static let token = Code("token")
        /// The server could not be reached, or the connection broke.
        public static let connection = Code("connection")
        /// The server answered something that is not the admin API.
        public static let protocolError = Code("protocolError")

        /// The code's name.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong and what to check.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
