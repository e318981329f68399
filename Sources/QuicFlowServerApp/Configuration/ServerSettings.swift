import Foundation
import QuicFlow
import QuicFlowCluster
import QuicFlowHooks
import QuicFlowConfigFile
import QUICTransport
import QuicFlowTime

/// Everything `quicflow-server serve` needs: read from the TOML file
/// (`server.conf.example` lists every key), then overridden by flags.
///
/// Every setting has a default but the certificate and key; ``makeApp(logger:)``
/// checks the combination and builds the daemon.
///
/// ```toml
/// [server]
/// listen = "0.0.0.0:8474"
/// cert = "/etc/quicflow/server.crt"
/// key = "/etc/quicflow/server.key"
/// ```
public struct ServerSettings: Sendable, Hashable {
    /// `[server] listen`: the QUIC address, `HOST:PORT`.
    public var listen = "0.0.0.0:8474"
    /// `[server] cert`: the PEM certificate chain.
    public var certificateFile: String?
    /// `[server] key`: the PEM private key.
    public var keyFile: String?
    /// `[server] client_ca`: the CA that signs client certificates.
    public var clientCAFile: String?
    /// `[server] require_client_cert`: mTLS, each session bound to its
    /// certificate's common name.
    public var requireClientCertificate = false
    /// `[server] max_clients`.
    public var maxClients = 10_000
    /// `[server] retry`: validate every client address with a Retry.
    public var requireAddressValidation = false
    /// `[server] max_handshakes_per_address`.
    public var maxHandshakesPerAddress = 64
    /// `[server] dedup_window`: how long a device message's answer is kept
    /// to answer a repeat of its msg_id without handling it again.
    public var deduplicationWindow: Duration = .seconds(600)
    /// Device messages the daemon handles at once (see ``validated()``).
    static let dispatcherWorkers = 64
    /// `[server] data_dir`: where queued messages and message states are
    /// kept (`messages.sqlite`); without it they live in memory only.
    public var dataDirectory: String?
    /// `[server] log_level`.
    public var logLevel = "info"
    /// `[heartbeat] interval`: how often clients must PING.
    public var heartbeatInterval: Duration = .seconds(15)
    /// `[heartbeat] timeout`: silence after which a client is evicted.
    public var heartbeatTimeout: Duration = .seconds(45)
    /// `[admin] listen`: the admin HTTP API, `HOST:PORT`.
    public var adminListen = "127.0.0.1:8475"
    /// `[admin] token_file`: the bearer token's file.
    public var adminTokenFile: String?
    /// `[hooks] on_message`: an executable run for every message from a
    /// client (payload on standard input).
    public var onMessage: String?
    /// `[hooks] timeout`: how long the hook may run.
    public var hookTimeout: Duration = .seconds(10)
    /// `[delivery] initial_backoff`: the wait after a queued message's
    /// first failed delivery; it doubles each time.
    public var deliveryInitialBackoff = ServerAppConfiguration.defaultDeliveryBackoff.initial
    /// `[delivery] max_backoff`: the longest wait between deliveries of one message.
    public var deliveryMaxBackoff = ServerAppConfiguration.defaultDeliveryBackoff.maximum

    /// `[cluster] database`: `postgres://USER@HOST:PORT/DB`; set, the
    /// server runs as a node of a cluster whose state is in PostgreSQL.
    public var clusterDatabase: String?
    /// `[cluster] node_id`: this node's name (default: the host name).
    public var nodeID: String?
    /// `[cluster] password_file`: the database password's file.
    public var clusterPasswordFile: String?
    /// `[cluster] lease`: how long a node's heartbeat keeps it alive.
    public var clusterLease: Duration = .seconds(10)
    /// `[cluster] schema`: the schema of the tables (default: the database's own).
    public var clusterSchema: String?

    /// The defaults.
    public init() {}

    /// The settings of a configuration file's text.
    /// - Throws: ``ServerAppError`` (`invalidConfiguration`) listing every
    ///   problem, each named by its key ("heartbeat.timeout: ...").
    public init(toml: String, path: String? = nil) throws(ServerAppError) {
        let root: ConfigurationTable
        do {
            root = try ConfigurationDocument.parse(toml, path: path)
        } catch {
            throw ServerAppError(.invalidConfiguration, error.message)
        }
        root.rejectUnknownKeys(known: ["server", "heartbeat", "admin", "hooks", "delivery", "cluster"], kind: "table")

        let server = root.subtable("server")
        server.rejectUnknownKeys(known: [
            "listen", "cert", "key", "client_ca", "require_client_cert", "max_clients", "data_dir", "log_level",
            "retry", "max_handshakes_per_address", "dedup_window",
        ])
        if let value = server.string("listen") { listen = value }
        certificateFile = server.absolutePath("cert", what: "the server's certificate")
        keyFile = server.absolutePath("key", what: "the server's private key")
        clientCAFile = server.absolutePath("client_ca", what: "the CA certificate of the clients")
        if let value = server.bool("require_client_cert") { requireClientCertificate = value }
        if let value = server.integer("max_clients", atLeast: 1) { maxClients = value }
        if let value = server.bool("retry") { requireAddressValidation = value }
        if let value = server.integer("max_handshakes_per_address", atLeast: 1) { maxHandshakesPerAddress = value }
        if let value = server.duration("dedup_window", example: deduplicationWindow) { deduplicationWindow = value }
        dataDirectory = server.absolutePath("data_dir", what: "the server's data directory")
        if let value = server.string("log_level") {
            if Self.logLevels.contains(value) {
                logLevel = value
            } else {
                server.report("log_level", "\"\(value)\" is not a level; use \(Self.logLevels.joined(separator: ", "))")
            }
        }

        let heartbeat = root.subtable("heartbeat")
        heartbeat.rejectUnknownKeys(known: ["interval", "timeout"])
        if let value = heartbeat.duration("interval", example: heartbeatInterval) { heartbeatInterval = value }
        if let value = heartbeat.duration("timeout", example: heartbeatTimeout) { heartbeatTimeout = value }

        let admin = root.subtable("admin")
        admin.rejectUnknownKeys(known: ["listen", "token_file"])
        if let value = admin.string("listen") { adminListen = value }
        adminTokenFile = admin.absolutePath("token_file", what: "the admin token file")

        let hooks = root.subtable("hooks")
        hooks.rejectUnknownKeys(known: ["on_message", "timeout"])
        onMessage = hooks.absolutePath("on_message", what: "the hook executable")
        if let value = hooks.duration("timeout", example: hookTimeout) { hookTimeout = value }

        let delivery = root.subtable("delivery")
        delivery.rejectUnknownKeys(known: ["initial_backoff", "max_backoff"])
        if let value = delivery.duration("initial_backoff", example: deliveryInitialBackoff) { deliveryInitialBackoff = value }
        if let value = delivery.duration("max_backoff", example: deliveryMaxBackoff) { deliveryMaxBackoff = value }

        let cluster = root.subtable("cluster")
        cluster.rejectUnknownKeys(known: ["database", "node_id", "password_file", "lease", "schema"])
        clusterDatabase = cluster.string("database")
        nodeID = cluster.string("node_id")
        clusterPasswordFile = cluster.absolutePath("password_file", what: "the cluster database's password file")
        if let value = cluster.duration("lease", example: clusterLease) { clusterLease = value }
        clusterSchema = cluster.string("schema")

        if let error = root.problems.error(path: path) {
            throw ServerAppError(.invalidConfiguration, error.message)
        }
    }

    /// Reads the configuration file at `path`.
    /// - Throws: ``ServerAppError`` (`invalidConfiguration`) naming the
    ///   file, or its keys, and what is wrong.
    public static func load(path: String) throws(ServerAppError) -> ServerSettings {
        let text: String
        do {
            text = try ConfigurationFile.contents(atPath: path)
        } catch {
            throw ServerAppError(.invalidConfiguration, error.message)
        }
        return try ServerSettings(toml: text, path: path)
    }

    /// The log levels `log_level` and `--log-level` take.
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// Checks the settings together and builds the backbone's and the admin
    /// API's configurations.
    ///
    /// Every problem is found in one pass and named by its setting: the
    /// values, the admin token file, the on-message hook (it must be able to
    /// run), and the TLS files loaded as the endpoint would load them (the
    /// key matches its certificate, the client CA holds certificates).
    /// - Throws: ``ServerAppError`` (`invalidConfiguration`) listing each
    ///   setting to fix and how.
    public func validated() throws(ServerAppError) -> ServerAppConfiguration {
        let problems = ConfigurationProblems()
        func checking<T>(_ key: String, _ body: () throws(ServerAppError) -> T) -> T? {
            do {
                return try body()
            } catch {
                problems.report(key, error.message)
                return nil
            }
        }
        if certificateFile == nil || keyFile == nil {
            problems.report("server.cert", "the server needs a certificate and a key: give --cert and --key (or cert and key in [server]); `quicflowctl certs init --dir DIR` makes a set")
        }
        if heartbeatTimeout <= heartbeatInterval {
            problems.report("heartbeat.timeout", "the heartbeat timeout (\(DurationParser.format(heartbeatTimeout))) must be longer than the interval (\(DurationParser.format(heartbeatInterval))), or every client would be evicted between two PINGs")
        }
        if deliveryMaxBackoff < deliveryInitialBackoff || deliveryInitialBackoff <= .zero {
            problems.report("delivery.max_backoff", "[delivery] max_backoff (\(DurationParser.format(deliveryMaxBackoff))) must be at least initial_backoff (\(DurationParser.format(deliveryInitialBackoff))), and initial_backoff above 0")
        }
        let quic = checking("server.listen") { () throws(ServerAppError) in try ListenAddress(listen, flag: "listen") }
        let adminAddress = checking("admin.listen") { () throws(ServerAppError) in try ListenAddress(adminListen, flag: "admin listen") }
        var token: String?
        if let adminTokenFile {
            token = checking("admin.token_file") { () throws(ServerAppError) in try AdminConfiguration.readToken(file: adminTokenFile) }
        }
        let admin = adminAddress.flatMap { address in
            checking("admin.listen") { () throws(ServerAppError) in
                try AdminConfiguration(host: address.host, port: address.port, token: token)
            }
        }
        var hook: HandlerConfiguration?
        if let onMessage {
            do {
                hook = try HandlerConfiguration(executable: onMessage, timeout: hookTimeout)
                // A hook that cannot run would fail every device message: refuse to start.
                try hook?.checkExecutable()
            } catch {
                problems.report("hooks.on_message", "the on-message hook: \(error.message)")
            }
        }
        var certificateLoads = false
        if let certificateFile, let keyFile {
            let tls = QUICTLSConfiguration.server(
                certificateChainFile: certificateFile, privateKeyFile: keyFile, applicationProtocols: ["quicflow-check"])
            do {
                try tls.check(asServer: true)
                certificateLoads = true
            } catch {
                problems.report("server.cert", error.message)
            }
        }
        if let clientCAFile {
            do {
                try QUICTLSConfiguration.client(trustRoots: .file(clientCAFile), applicationProtocols: ["quicflow-check"])
                    .check(asServer: false)
            } catch {
                problems.report("server.client_ca", error.message)
            }
        }
        let cluster = checkCluster(problems)
        var backbone: ServerConfiguration?
        // Only with files that load: the check above already named the file otherwise.
        if let quic, let certificateFile, let keyFile, certificateLoads {
            do {
                backbone = try ServerConfiguration(
                    host: quic.host, port: quic.port, certificateFile: certificateFile, keyFile: keyFile,
                    clientCAFile: clientCAFile, requireClientCertificate: requireClientCertificate, maxClients: maxClients,
                    heartbeatInterval: heartbeatInterval, heartbeatTimeout: heartbeatTimeout,
                    // The daemon's handler mostly waits (the store's shared commits, the
                    // hook's own concurrency limit): more at once make bigger commits.
                    // With --data-dir: 10 workers 6,900-7,100 msg/s, 64 workers 10,100-11,000.
                    dispatcherWorkers: Self.dispatcherWorkers,
                    deduplicationWindow: deduplicationWindow, serverID: cluster?.nodeID ?? "server",
                    requireAddressValidation: requireAddressValidation, maxHandshakesPerAddress: maxHandshakesPerAddress)
            } catch {
                problems.report("server", error.message)
            }
        }
        if let error = problems.error(path: "the configuration (file and flags)") {
            throw ServerAppError(.invalidConfiguration, error.message)
        }
        guard let backbone, let admin else {
            throw ServerAppError(.invalidConfiguration, "the settings could not be checked")
        }
        return ServerAppConfiguration(
            backbone: backbone, admin: admin, dataDirectory: dataDirectory, messageHook: hook,
            deliveryBackoff: Backoff(
                initial: deliveryInitialBackoff, maximum: deliveryMaxBackoff,
                jitter: ServerAppConfiguration.defaultDeliveryBackoff.jitter),
            cluster: cluster)
    }

    /// The `[cluster]` settings checked together; `nil` in single-server mode.
    private func checkCluster(_ problems: ConfigurationProblems) -> ClusterConfiguration? {
        guard let clusterDatabase else {
            for (key, isSet) in [("node_id", nodeID != nil), ("password_file", clusterPasswordFile != nil), ("schema", clusterSchema != nil)] where isSet {
                problems.report("cluster.\(key)", "is set but [cluster] database is not; give the cluster's PostgreSQL with database (or --cluster-database), or remove \(key)")
            }
            return nil
        }
        if dataDirectory != nil {
            problems.report("server.data_dir", "a cluster node keeps its state in PostgreSQL, not in a data directory; remove data_dir (or --data-dir), or run without [cluster] database for a single server on SQLite")
        }
        let node = nodeID ?? ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? ""
        if !ClusterConfiguration.isNodeID(node) {
            let source = nodeID == nil ? "the host name '\(node)' (the default node id)" : "'\(node)'"
            problems.report("cluster.node_id", "\(source) is not a node id: use 1 to 32 letters, digits, '.', '_' or '-' (node_id or --node-id)")
        }
        if clusterLease < .seconds(2) {
            problems.report("cluster.lease", "the lease (\(DurationParser.format(clusterLease))) must be at least 2s: a node beats every quarter of it, and a shorter one declares live nodes dead")
        }
        if let clusterSchema, !ClusterConfiguration.isSchemaName(clusterSchema) {
            problems.report("cluster.schema", "'\(clusterSchema)' is not a schema name: use 1 to 20 letters, digits or _")
        }
        let url: ClusterDatabaseURL
        do {
            url = try ClusterDatabaseURL(parsing: clusterDatabase)
        } catch {
            problems.report("cluster.database", error.message)
            return nil
        }
        let password: String?
        do {
            password = try ClusterPassword.resolve(for: url, file: clusterPasswordFile)
        } catch {
            problems.report("cluster.password_file", error.message)
            return nil
        }
        return ClusterConfiguration(url: url, password: password, nodeID: node, lease: clusterLease, schema: clusterSchema)
    }
}
