/// A connected client, as `GET /v1/clients` lists it and
/// `GET /v1/clients/{id}` shows it.
public struct ConnectedClient: Codable, Sendable, Hashable {
    /// Its registered id.
    public var clientID: String
    /// `ip:port` it connects from.
    public var remoteAddress: String
    /// When its session began, RFC 3339 with milliseconds.
    public var connectedAt: String
    /// When its last PING came, RFC 3339 with milliseconds.
    public var lastHeartbeat: String
    /// The cluster node that holds its session; absent from a single server.
    public var node: String?

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id"
        case remoteAddress = "remote_address"
        case connectedAt = "connected_at"
        case lastHeartbeat = "last_heartbeat"
        case node
    }

    /// Creates a client entry.
    public init(clientID: String, remoteAddress: String, connectedAt: String, lastHeartbeat: String, node: String? = nil) {
        self.node = node
        self.clientID = clientID
        self.remoteAddress = remoteAddress
        self.connectedAt = connectedAt
        self.lastHeartbeat = lastHeartbeat
    }
}
