import QuicFlowConfigFile
import QuicFlow
public import QuicFlowTime

extension AgentConfiguration {
    /// The `[reconnect]` table: how the agent retries a lost connection.
    public struct ReconnectSettings: Sendable, Hashable {
        /// `initial_backoff`: first delay before reconnecting; it doubles
        /// each attempt; default 1s.
        public let initialBackoff: Duration
        /// `max_backoff`: longest delay between attempts; default 60s.
        public let maxBackoff: Duration
        /// `jitter`: random spread of each delay as a fraction (0.2 = ±20%),
        /// within 0...1; default 0.2.
        public let jitter: Double
        /// These settings as the backoff every retry of the agent waits
        /// through: reconnects and outbox messages alike.
        public var backoff: Backoff { Backoff(initial: initialBackoff, maximum: maxBackoff, jitter: jitter) }

        static let defaultInitialBackoff: Duration = .seconds(1)
        static let defaultMaxBackoff: Duration = .seconds(60)
        static let defaultJitter = 0.2
        /// The backoff of the defaults.
        public static let defaultBackoff = Backoff(initial: defaultInitialBackoff, maximum: defaultMaxBackoff, jitter: defaultJitter)

        /// The keys `[reconnect]` may hold.
        static let keys = ["initial_backoff", "max_backoff", "jitter"]

        /// Reads `[reconnect]`, reporting every problem with its full key name.
        init(reading table: ConfigurationTable) {
            table.rejectUnknownKeys(known: Self.keys)
            let initial = table.duration("initial_backoff", example: Self.defaultInitialBackoff)
            let maximum = table.duration("max_backoff", example: Self.defaultMaxBackoff)
            initialBackoff = initial ?? Self.defaultInitialBackoff
            maxBackoff = maximum ?? Self.defaultMaxBackoff
            // Compare only values that are valid (or defaults), so one typo
            // does not bring a second, confusing problem.
            let bothValid =
                (initial != nil || !table.contains("initial_backoff"))
                && (maximum != nil || !table.contains("max_backoff"))
            if bothValid && maxBackoff < initialBackoff {
                let maximum = DurationParser.format(maxBackoff)
                let initial = "\(table.fullName("initial_backoff")) (\(DurationParser.format(initialBackoff)))"
                table.report(
                    "max_backoff", "\(maximum) is below \(initial); the longest delay cannot be shorter than the first")
            }
            jitter =
                table.number("jitter") { value in
                    (0...1).contains(value) ? nil : "must be within 0...1 (a fraction such as 0.2), got \(value)"
                } ?? Self.defaultJitter
        }
    }
}
