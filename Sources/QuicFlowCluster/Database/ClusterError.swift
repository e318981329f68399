/// Why a cluster operation failed, with a message an operator can act on.
public struct ClusterError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Code: String, Sendable {
        /// The `[cluster]` settings are wrong (the URL, the node id, the password source).
        case invalidConfiguration
        /// PostgreSQL did not answer in time or refused the call: the caller
        /// answers 503, and the node keeps trying to reconnect.
        case unavailable
        /// The database's schema is newer than this build knows, or broken.
        case schema
    }

    /// What kind of failure.
    public let code: Code
    /// What went wrong and what to do.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
