/// Which way a datagram travels through a ``UDPFaultProxy``.
enum FaultProxyDirection: Sendable, Hashable {
    /// From a client to the upstream server.
    case clientToServer
    /// From the upstream server back to a client.
    case serverToClient
}
