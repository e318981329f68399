/// An error about a daemon's data directory or its database files: a stable
/// ``code`` and a message that says what is wrong and what to do.
public struct DataDirectoryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A directory or file could not be created, opened or restricted.
        public static let storage = Code("storage")
        /// Another daemon holds the directory's lock.
        public static let alreadyRunning = Code("alreadyRunning")

        /// The code's name.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What is wrong and what to do.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
