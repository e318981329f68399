/// One node of a cluster, as `GET /v1/cluster` lists it.
public struct ClusterNodeStatus: Codable, Sendable, Hashable {
    /// Its node id.
    public var node: String
    /// Whether its heartbeat is younger than the lease.
    public var alive: Bool
    /// When its current run started, RFC 3339 with milliseconds.
    public var startedAt: String
    /// Its last heartbeat, RFC 3339 with milliseconds.
    public var heartbeatAt: String
    /// How old that heartbeat was when the answer was made, in milliseconds.
    public var heartbeatAgeMilliseconds: Int64
    /// Its admin API, as it announced it (empty until it listens).
    public var adminURL: String
    /// Its QUIC address, as it announced it (empty until it listens).
    public var backboneAddress: String
    /// Devices connected to it (0 for a dead node: they no longer count).
    public var devices: Int

    enum CodingKeys: String, CodingKey {
        case node, alive, devices
        case startedAt = "started_at"
        case heartbeatAt = "heartbeat_at"
        case heartbeatAgeMilliseconds = "heartbeat_age_ms"
        case adminURL = "admin_url"
        case backboneAddress = "backbone_address"
    }

    /// Creates a node entry.
    public init(
        node: String, alive: Bool, startedAt: String, heartbeatAt: String, heartbeatAgeMilliseconds: Int64,
        adminURL: String, backboneAddress: String, devices: Int
    ) {
        self.node = node
        self.alive = alive
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.heartbeatAgeMilliseconds = heartbeatAgeMilliseconds
        self.adminURL = adminURL
        self.backboneAddress = backboneAddress
        self.devices = devices
    }
}
