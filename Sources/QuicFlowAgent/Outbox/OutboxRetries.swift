/// Messages the backbone did not take on the first try (no ACK in time, no
/// answer, a lost connection) and that wait out their backoff: how many,
/// and the one that failed most often.
public struct OutboxRetries: Sendable, Hashable {
    /// The message with the most failed attempts.
    public struct Worst: Sendable, Hashable {
        /// Its msg_id.
        public var msgID: String
        /// Attempts so far (each one failed, or is in flight now).
        public var attempts: Int
        /// Why the last one failed.
        public var lastError: String
        /// When it is due again (Unix ms).
        public var nextAttemptAt: Int64
    }

    /// Undelivered messages that failed at least once.
    public var messages: Int
    /// The one with the most attempts; `nil` when none failed.
    public var worst: Worst?
}
