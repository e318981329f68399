/// A `HOST:PORT` listen address, as the `--listen` and `--admin-listen`
/// flags take it (`[::1]:8474` for IPv6).
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host or IP address.
    public let host: String
    /// The port (0 picks a free one).
    public let port: Int

    /// Parses `text`, naming `flag` in the error.
    /// - Throws: ``ServerAppError`` (`invalidConfiguration`).
    public init(_ text: String, flag: String) throws(ServerAppError) {
        var host = Substring(text)
        guard let colon = host.lastIndex(of: ":") else {
            throw ServerAppError(.invalidConfiguration, "\(flag) \(text) has no port; write HOST:PORT, e.g. 0.0.0.0:8474 or [::]:8474")
        }
        let portText = host[host.index(after: colon)...]
        host = host[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = host.dropFirst().dropLast()
        }
        guard let port = Int(portText), (0...65_535).contains(port) else {
            throw ServerAppError(.invalidConfiguration, "\(flag) \(text): \"\(portText)\" is not a port (0 to 65535)")
        }
        guard !host.isEmpty else {
            throw ServerAppError(.invalidConfiguration, "\(flag) \(text) has no host; use 0.0.0.0 for every interface")
        }
        self.host = String(host)
        self.port = port
    }

    /// `host:port`, with brackets for IPv6.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
