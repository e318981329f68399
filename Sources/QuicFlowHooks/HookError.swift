/// An error about a hook executable or its configuration: a stable ``code``
/// and a message that says what is wrong and what to do.
public struct HookError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A value of the hook's configuration is out of range.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// The executable cannot be run (missing, not executable, unsafe
        /// permissions, unknown user, a helper missing).
        public static let unrunnable = Code("unrunnable")

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
