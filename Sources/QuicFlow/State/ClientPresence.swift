/// Where a device is connected, as a ``ClientDirectory`` records it: plain
/// values, so that another node can read them.
public struct ClientPresence: Sendable, Hashable, Codable {
    /// The id the device registered with.
    public var clientID: String
    /// The node that holds its session (the server's id in single-node mode).
    public var node: String
    /// Names the session, unique per registration: a late update from a
    /// superseded session never touches its successor's entry.
    public var sessionID: String
    /// `ip:port` it connects from.
    public var remoteAddress: String
    /// When it registered, Unix milliseconds.
    public var connectedAt: Int64
    /// When anything was last heard from it, Unix milliseconds.
    public var lastHeartbeat: Int64
    /// How many times the device registered, this registration included,
    /// as the directory counts them (``ClientDirectory/register(_:)`` sets
    /// it): a node acts for the device only with the newest epoch.
    public var epoch: Int64

    /// Creates an entry.
    public init(
        clientID: String, node: String, sessionID: String, remoteAddress: String, connectedAt: Int64, lastHeartbeat: Int64,
        epoch: Int64 = 0
    ) {
        self.clientID = clientID
        self.node = node
        self.sessionID = sessionID
        self.remoteAddress = remoteAddress
        self.connectedAt = connectedAt
        self.lastHeartbeat = lastHeartbeat
        self.epoch = epoch
    }
}
