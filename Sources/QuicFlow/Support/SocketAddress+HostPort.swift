public import NIOCore

extension SocketAddress {
    /// `127.0.0.1:8474`, `[::1]:8474`: the address as operators write it,
    /// for logs and the admin API (NIO's description adds `[IPv4]` and a
    /// repeated host).
    public var hostPort: String {
        let ip = ipAddress ?? "\(self)"
        let host = ip.contains(":") ? "[\(ip)]" : ip
        return port.map { "\(host):\($0)" } ?? host
    }
}
