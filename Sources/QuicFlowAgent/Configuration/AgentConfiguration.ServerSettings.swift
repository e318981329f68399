public import QuicFlow
import QuicFlowConfigFile

extension AgentConfiguration {
    /// The `[server]` table: which backbone to join and how to trust it.
    public struct ServerSettings: Sendable, Hashable {
        /// `address` as written, e.g. "backbone.example.com:8474" (required);
        /// the first entry when it is a list.
        public let address: String
        /// The host part of ``address``; an IPv6 address without its brackets.
        public let host: String
        /// The port part of ``address``; 8474 when it names none.
        public let port: Int
        /// Every entry of `address`: one, or the nodes of a cluster
        /// (`address = ["10.0.0.1:8474", "10.0.0.2:8474"]`). The agent starts
        /// at a random one and fails over to the next when a connection fails.
        public let servers: [ServerEndpoint]
        /// `server_name`: the name the server's certificate must carry (TLS
        /// SNI); default ``host``.
        public let serverName: String
        /// `ca_file`: PEM CA that signs the server's certificate; `nil` (the
        /// default) uses the system's trust store.
        public let caFile: String?
        /// `cert_file`: PEM client certificate for mutual TLS; default none.
        public let certificateFile: String?
        /// `key_file`: PEM private key of ``certificateFile``; default none.
        public let keyFile: String?
        /// `insecure_skip_verify`: accept any server certificate;
        /// development only; default false.
        public let insecureSkipVerify: Bool

        /// The keys `[server]` may hold.
        static let keys = [
            "address", "server_name", "ca_file", "cert_file", "key_file", "insecure_skip_verify",
        ]

        /// Reads `[server]`, reporting every problem with its full key name.
        init(reading table: ConfigurationTable) {
            table.rejectUnknownKeys(known: Self.keys)
            if !table.contains("address") {
                table.report(
                    "address", "missing; give the backbone's host:port, e.g. address = \"backbone.example.com:8474\"")
            }
            let listed = table.stringOrStrings("address")
            if listed?.isEmpty == true {
                table.report("address", "is an empty list; give at least one host:port")
            }
            let addresses = listed ?? []
            let serverName = table.string("server_name")
            var servers: [ServerEndpoint] = []
            for (index, entry) in addresses.enumerated() {
                // One address is reported as `address`, a list's entries by index.
                func report(_ text: String) {
                    if addresses.count == 1 { table.report("address", text) } else { table.report("address", index: index, text) }
                }
                if entry.isEmpty {
                    report("must not be empty")
                    continue
                }
                do {
                    let (host, port) = try ServerAddressParser.parse(entry)
                    servers.append(ServerEndpoint(host: host, port: port, serverName: serverName ?? host))
                } catch {
                    report(error.message)
                }
            }
            if Set(servers).count < servers.count {
                table.report("address", "lists an address twice; give each node once")
            }
            let address = addresses.first ?? ""
            let host = servers.first?.host ?? ""
            let port = servers.first?.port ?? ServerAddressParser.defaultPort
            let certificateFile = table.string("cert_file")
            let keyFile = table.string("key_file")
            // One without the other cannot make a TLS client identity.
            for (given, missing) in [("cert_file", "key_file"), ("key_file", "cert_file")]
            where table.contains(given) && !table.contains(missing) {
                table.report(
                    given, "is set but \(table.fullName(missing)) is not; give both for mutual TLS, or neither")
            }
            self.address = address
            self.host = host
            self.port = port
            self.servers = servers
            self.serverName = serverName ?? host
            self.caFile = table.string("ca_file")
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.insecureSkipVerify = table.bool("insecure_skip_verify") ?? false
        }
    }
}
