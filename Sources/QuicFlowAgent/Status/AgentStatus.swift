public import Foundation
import QuicFlow
import QuicFlowHooks
import QuicFlowDataDirectory

/// What `quicflow-agent status` shows: the session, the outbox and recent
/// handler runs, read from the agent's database, so it works whether the
/// agent is running or not.
///
/// Encodes to the JSON of `status --json` (snake_case keys, times in ISO
/// 8601 UTC, `null` for what does not apply).
public struct AgentStatus: Sendable, Hashable, Codable {
    /// Whether an agent holds the data directory's lock right now.
    public var agentRunning: Bool
    /// That agent's process id.
    public var agentPID: Int32?
    /// `connected`, `connecting` or `stopped` (always `stopped` when no
    /// agent runs, whatever a killed agent last wrote); `starting` while a
    /// new agent has not reported yet; `never started` when no agent ever
    /// used this data directory.
    public var connectionState: String
    /// The id the agent registers with.
    public var clientID: String
    /// The backbone server it is on, `host:port`; while it connects, every
    /// address it may try, comma-separated.
    public var serverAddress: String
    /// When the current session was established.
    public var connectedSince: Date?
    /// The last connection error (kept after reconnecting, for context).
    public var lastError: String?
    /// When the next reconnect attempt is due, while disconnected.
    public var nextRetryAt: Date?
    /// Failed connection attempts since the last successful one.
    public var reconnectAttempts: Int
    /// The outbox database file.
    public var outboxPath: String
    /// Messages waiting to be sent.
    public var pending: Int
    /// Messages sent and waiting for their ACK.
    public var inFlight: Int
    /// Messages given up on (past max_age or max_attempts); `outbox retry`
    /// queues them again.
    public var dead: Int
    /// Undelivered messages that failed at least once and wait out their
    /// backoff (no ACK in time, no answer, a lost connection).
    public var retrying: Int
    /// The one of them with the most attempts.
    public var mostRetried: RetriedMessage?
    /// The outbox's capacity (`outbox.max_messages`).
    public var maxMessages: Int
    /// Messages refused because the outbox was full, ever.
    public var outboxFullRefusals: Int
    /// Messages from the server refused "busy" (handlers and their queue full), ever.
    public var handlerBusyRefusals: Int
    /// How long the oldest undelivered message has waited, in seconds.
    public var oldestPendingAgeSeconds: Double?
    /// When a message was last delivered.
    public var lastDeliveryAt: Date?
    /// The newest handler runs first.
    public var recentHandlerRuns: [HandlerRun]

    enum CodingKeys: String, CodingKey {
        case agentRunning = "agent_running"
        case agentPID = "agent_pid"
        case connectionState = "connection_state"
        case clientID = "client_id"
        case serverAddress = "server_address"
        case connectedSince = "connected_since"
        case lastError = "last_error"
        case nextRetryAt = "next_retry_at"
        case reconnectAttempts = "reconnect_attempts"
        case outboxPath = "outbox_path"
        case pending
        case inFlight = "in_flight"
        case dead
        case retrying
        case mostRetried = "most_retried"
        case maxMessages = "max_messages"
        case outboxFullRefusals = "outbox_full_refusals"
        case handlerBusyRefusals = "handler_busy_refusals"
        case oldestPendingAgeSeconds = "oldest_pending_age_seconds"
        case lastDeliveryAt = "last_delivery_at"
        case recentHandlerRuns = "recent_handler_runs"
    }

    /// Encodes every key, `null` included, so scripts can rely on them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(agentRunning, forKey: .agentRunning)
        try container.encode(agentPID, forKey: .agentPID)
        try container.encode(connectionState, forKey: .connectionState)
        try container.encode(clientID, forKey: .clientID)
        try container.encode(serverAddress, forKey: .serverAddress)
        try container.encode(connectedSince, forKey: .connectedSince)
        try container.encode(lastError, forKey: .lastError)
        try container.encode(nextRetryAt, forKey: .nextRetryAt)
        try container.encode(reconnectAttempts, forKey: .reconnectAttempts)
        try container.encode(outboxPath, forKey: .outboxPath)
        try container.encode(pending, forKey: .pending)
        try container.encode(inFlight, forKey: .inFlight)
        try container.encode(dead, forKey: .dead)
        try container.encode(retrying, forKey: .retrying)
        try container.encode(mostRetried, forKey: .mostRetried)
        try container.encode(maxMessages, forKey: .maxMessages)
        try container.encode(outboxFullRefusals, forKey: .outboxFullRefusals)
        try container.encode(handlerBusyRefusals, forKey: .handlerBusyRefusals)
        try container.encode(oldestPendingAgeSeconds, forKey: .oldestPendingAgeSeconds)
        try container.encode(lastDeliveryAt, forKey: .lastDeliveryAt)
        try container.encode(recentHandlerRuns, forKey: .recentHandlerRuns)
    }

    /// Reads the status of the agent configured by `configuration` from
    /// its outbox.
    /// - Parameter handlerRuns: how many recent handler runs to include.
    public static func read(
        configuration: AgentConfiguration, outbox: Outbox, handlerRuns: Int = 10
    ) async throws(AgentError) -> AgentStatus {
        let state = try await outbox.state()
        let counts = try await outbox.counts()
        let oldest = try await outbox.oldestPendingAge()
        let retries = try await outbox.retries()
        let runs = try await outbox.recentHandlerRuns(limit: handlerRuns)
        let holder = DataDirectoryLock.holder(dataDirectory: configuration.dataDirectory)
        let running = holder != nil
        var recorded = state[.connectionState]
        var stale = false
        if let holder, let written = try await outbox.stateUpdatedAt(.connectionState), written < holder.since {
            // Written by an earlier agent (killed, say): the one running now
            // has not reported yet.
            recorded = "starting"
            stale = true
        }
        func time(_ key: AgentStateKey) -> Date? {
            state[key].flatMap(Int64.init).map { Date(timeIntervalSince1970: Double($0) / 1_000) }
        }
        return AgentStatus(
            agentRunning: running,
            agentPID: holder.flatMap { $0.pid > 0 ? $0.pid : nil },
            connectionState: running ? (recorded ?? "connecting") : (recorded == nil ? "never started" : "stopped"),
            clientID: configuration.clientID,
            // The server it is on (or the list it is trying); the configured ones when not running.
            serverAddress: (running && !stale ? state[.serverAddress] : nil)
                ?? configuration.server.servers.map(\.description).joined(separator: ", "),
            connectedSince: running && !stale ? time(.connectedSince) : nil,
            lastError: state[.lastError],
            nextRetryAt: running && !stale ? time(.nextRetryAt) : nil,
            reconnectAttempts: state[.reconnectAttempts].flatMap(Int.init) ?? 0,
            outboxPath: outbox.path,
            pending: counts.pending,
            inFlight: counts.inFlight,
            dead: counts.dead,
            retrying: retries.messages,
            mostRetried: retries.worst.map(RetriedMessage.init),
            maxMessages: outbox.maxMessages,
            outboxFullRefusals: state[.outboxFullRefusals].flatMap(Int.init) ?? 0,
            handlerBusyRefusals: state[.handlerBusyRefusals].flatMap(Int.init) ?? 0,
            oldestPendingAgeSeconds: oldest.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 },
            lastDeliveryAt: time(.lastDeliveryAt),
            recentHandlerRuns: runs.map(HandlerRun.init)
        )
    }
}
