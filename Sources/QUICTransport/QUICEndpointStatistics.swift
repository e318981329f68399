/// Counters of one endpoint, for tests, diagnostics and metrics.
public struct QUICEndpointStatistics: Sendable, Hashable {
    /// Connections in the endpoint's tables (including closing and draining).
    public var connections: Int
    /// Connection IDs routed to those connections.
    public var routedConnectionIDs: Int
    /// Connection objects alive in memory (released when nothing refers to them).
    public var liveConnectionObjects: Int
    /// Stream objects alive in memory.
    public var liveStreamObjects: Int
    /// Retry packets sent for address validation.
    public var retriesSent: Int
    /// Version negotiation packets sent.
    public var versionNegotiationsSent: Int
    /// Stateless resets sent for packets of unknown connections.
    public var statelessResetsSent: Int
    /// Datagrams dropped as undecodable or unacceptable.
    public var datagramsDropped: Int
    /// Initials dropped because their address already had
    /// ``QUICEndpointConfiguration/maxHandshakesPerAddress`` handshakes in progress.
    public var handshakesRefused: Int = 0
    /// Server connections whose handshake is in progress.
    public var handshakesInProgress: Int = 0
}
