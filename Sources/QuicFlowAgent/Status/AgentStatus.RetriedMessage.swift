public import Foundation

extension AgentStatus {
    /// The outbox message that failed most often, as `status` shows it.
    public struct RetriedMessage: Sendable, Hashable, Codable {
        /// Its msg_id.
        public var msgID: String
        /// Attempts so far.
        public var attempts: Int
        /// Why the last attempt failed.
        public var lastError: String
        /// When the next attempt is due (after its backoff).
        public var nextAttemptAt: Date

        enum CodingKeys: String, CodingKey {
            case msgID = "msg_id"
            case attempts
            case lastError = "last_error"
            case nextAttemptAt = "next_attempt_at"
        }

        init(_ worst: OutboxRetries.Worst) {
            msgID = worst.msgID
            attempts = worst.attempts
            lastError = worst.lastError
            nextAttemptAt = Date(timeIntervalSince1970: Double(worst.nextAttemptAt) / 1_000)
        }
    }
}
