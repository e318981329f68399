/// One backbone server a client may connect to: a node of a cluster, or
/// the single server.
public struct ServerEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Its host name or address (an IPv6 address without brackets).
    public var host: String
    /// Its UDP port.
    public var port: Int
    /// The name its certificate must carry (TLS SNI); `nil` uses ``host``.
    public var serverName: String?

    /// Creates an endpoint.
    public init(host: String, port: Int = 8474, serverName: String? = nil) {
        self.host = host
        self.port = port
        self.serverName = serverName
    }

    /// `host:port`, an IPv6 host in brackets.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
