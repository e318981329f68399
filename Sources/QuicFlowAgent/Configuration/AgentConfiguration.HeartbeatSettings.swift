import QuicFlowConfigFile

extension AgentConfiguration {
    /// The `[heartbeat]` table: how the agent notices a dead connection.
    public struct HeartbeatSettings: Sendable, Hashable {
        /// `interval`: how often a PING is sent; default 15s.
        public let interval: Duration
        /// `timeout`: a PING without PONG within this long counts as a lost
        /// connection; default 5s.
        public let timeout: Duration

        static let defaultInterval: Duration = .seconds(15)
        static let defaultTimeout: Duration = .seconds(5)

        /// The keys `[heartbeat]` may hold.
        static let keys = ["interval", "timeout"]

        /// Reads `[heartbeat]`, reporting every problem with its full key name.
        init(reading table: ConfigurationTable) {
            table.rejectUnknownKeys(known: Self.keys)
            interval = table.duration("interval", example: Self.defaultInterval) ?? Self.defaultInterval
            timeout = table.duration("timeout", example: Self.defaultTimeout) ?? Self.defaultTimeout
        }
    }
}
