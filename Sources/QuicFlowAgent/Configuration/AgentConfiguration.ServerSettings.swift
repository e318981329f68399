import QuicFlowConfigFile

extension AgentConfiguration {
    /// The `[server]` table: which backbone to join and how to trust it.
    public struct ServerSettings: Sendable, Hashable {
        /// `address` as written, e.g. "backbone.example.com:8474" (required).
        public let address: String
        /// The host part of ``address``; an IPv6 address without its brackets.
        public let host: String
        /// The port part of ``address``; 8474 when it names none.
        public let port: Int
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
            var host = ""
            var port = ServerAddressParser.defaultPort
            if !table.contains("address") {
                table.report(
                    "address", "missing; give the backbone's host:port, e.g. address = \"backbone.example.com:8474\"")
            }
            let address = table.string("address") ?? ""
            if !address.isEmpty {
                do {
                    (host, port) = try ServerAddressParser.parse(address)
                } catch {
                    table.report("address", error.message)
                }
            }
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
            self.serverName = table.string("server_name") ?? host
            self.caFile = table.string("ca_file")
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.insecureSkipVerify = table.bool("insecure_skip_verify") ?? false
        }
    }
}
