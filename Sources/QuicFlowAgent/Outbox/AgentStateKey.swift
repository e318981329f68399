/// A key of the running agent's status, stored next to the outbox so that
/// `quicflow-agent status` can read it while the agent is stopped.
///
/// Values are strings; times are Unix milliseconds in decimal.
public struct AgentStateKey: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The name stored in the database.
    public let rawValue: String

    /// Creates a key; the well-known keys below cover the agent's own needs.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Creates a key.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// `connected`, `connecting`, `disconnected` or `stopped`.
    public static let connectionState = AgentStateKey("connection_state")
    /// The backbone server's address, `host:port`.
    public static let serverAddress = AgentStateKey("server_address")
    /// When the current session was established.
    public static let connectedSince = AgentStateKey("connected_since")
    /// The last connection or delivery error.
    public static let lastError = AgentStateKey("last_error")
    /// When the next reconnect attempt is due.
    public static let nextRetryAt = AgentStateKey("next_retry_at")
    /// How many reconnect attempts have failed in a row.
    public static let reconnectAttempts = AgentStateKey("reconnect_attempts")
    /// When a message was last delivered.
    public static let lastDeliveryAt = AgentStateKey("last_delivery_at")
    /// Messages refused because the outbox was full (a decimal count,
    /// kept across restarts; `quicflow-agent send` counts too).
    public static let outboxFullRefusals = AgentStateKey("outbox_full_refusals")
    /// Messages from the server answered "busy" because every handler was
    /// running and `handler_queue` messages already waited (a decimal count,
    /// kept across restarts).
    public static let handlerBusyRefusals = AgentStateKey("handler_busy_refusals")

    /// Orders keys by name, for stable output.
    public static func < (lhs: AgentStateKey, rhs: AgentStateKey) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The key's name.
    public var description: String { rawValue }
}
