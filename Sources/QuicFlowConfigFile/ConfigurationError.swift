/// A configuration file or value that cannot be used: what is wrong, where,
/// and what to write instead.
///
/// The agent and the server wrap it in their own error types.
package struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// The file is missing, unreadable, not TOML, or holds wrong values.
        package static let invalidConfiguration = Code("invalidConfiguration")

        /// The code's name.
        package var description: String { name }
    }

    /// What kind of failure this is.
    package let code: Code
    /// What is wrong and what to do, naming the key or the file.
    package let message: String

    /// Creates an `invalidConfiguration` error.
    package init(_ message: String) {
        self.code = .invalidConfiguration
        self.message = message
    }

    /// `code: message`.
    package var description: String { "\(code): \(message)" }
}
