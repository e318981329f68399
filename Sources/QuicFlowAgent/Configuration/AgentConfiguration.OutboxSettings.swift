import QuicFlowConfigFile

extension AgentConfiguration {
    /// The `[outbox]` table: how messages the agent sends are kept until the
    /// backbone acknowledges them.
    public struct OutboxSettings: Sendable, Hashable {
        /// `max_messages`: most messages kept; sending more fails with
        /// `outboxFull`; default 100000.
        public let maxMessages: Int
        /// `max_age`: a message older than this becomes dead: no longer sent,
        /// kept for inspection until `outbox retry` or `outbox purge`; default 7d.
        public let maxAge: Duration
        /// `ack_timeout`: how long to wait for the ACK of a sent message
        /// before sending it again; default 30s.
        public let ackTimeout: Duration
        /// `max_attempts`: sends of one message before it becomes dead (kept,
        /// as for `max_age`); 0 (the default) means no limit.
        public let maxAttempts: Int
        /// `replay_rate`: messages per second sent from the outbox after a
        /// reconnect, so a backlog does not flood the backbone; default 200.
        public let replayRate: Double
        /// `in_flight`: messages sent and awaiting their ACK at once; default 16.
        public let inFlight: Int

        static let defaultMaxMessages = 100_000
        static let defaultMaxAge: Duration = .seconds(7 * 86_400)
        static let defaultAckTimeout: Duration = .seconds(30)
        static let defaultMaxAttempts = 0
        static let defaultReplayRate = 200.0
        static let defaultInFlight = 16

        /// The keys `[outbox]` may hold.
        static let keys = ["max_messages", "max_age", "ack_timeout", "max_attempts", "replay_rate", "in_flight"]

        /// Reads `[outbox]`, reporting every problem with its full key name.
        init(reading table: ConfigurationTable) {
            table.rejectUnknownKeys(known: Self.keys)
            maxMessages = table.integer("max_messages", atLeast: 1) ?? Self.defaultMaxMessages
            maxAge = table.duration("max_age", example: Self.defaultMaxAge) ?? Self.defaultMaxAge
            ackTimeout = table.duration("ack_timeout", example: Self.defaultAckTimeout) ?? Self.defaultAckTimeout
            maxAttempts = table.integer("max_attempts", atLeast: 0) ?? Self.defaultMaxAttempts
            replayRate =
                table.number("replay_rate") { value in
                    // Infinity would turn the rate limit off by accident; NaN fails every comparison.
                    value > 0 && value.isFinite ? nil : "must be a positive number of messages per second, got \(value)"
                } ?? Self.defaultReplayRate
            inFlight = table.integer("in_flight", atLeast: 1) ?? Self.defaultInFlight
        }
    }
}
