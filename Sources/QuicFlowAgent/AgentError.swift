package import QuicFlowConfigFile
public import QuicFlowDataDirectory
public import QuicFlowHooks

/// An error from the agent: a stable ``code`` and a message that says what
/// is wrong and what to do.
public struct AgentError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The configuration file is missing, unreadable or invalid.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// The outbox holds max_messages already.
        public static let outboxFull = Code("outboxFull")
        /// The outbox database could not be opened or written.
        public static let storage = Code("storage")
        /// A handler executable could not be run.
        public static let handler = Code("handler")
        /// Something the caller asked for does not exist.
        public static let notFound = Code("notFound")
        /// The data directory held an outbox that is now missing, empty or
        /// replaced by another database.
        public static let outboxLost = Code("outboxLost")
        /// The outbox file is damaged (SQLite reports corruption).
        public static let outboxCorrupt = Code("outboxCorrupt")
        /// Another daemon holds the data directory's lock.
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

    /// An `invalidConfiguration` error carrying a configuration problem.
    package init(_ error: ConfigurationError) {
        self.init(.invalidConfiguration, error.message)
    }

    /// The agent's side of a hook error: `invalidConfiguration` stays
    /// itself, anything else about running a handler is `handler`.
    public init(_ error: HookError) {
        self.init(error.code == .invalidConfiguration ? .invalidConfiguration : .handler, error.message)
    }

    /// The agent's side of a data-directory error (same code, same message).
    public init(_ error: DataDirectoryError) {
        self.init(error.code == .alreadyRunning ? .alreadyRunning : .storage, error.message)
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
