import ArgumentParser
import Foundation
import QuicFlowConfigFile
import QuicFlowServerApp

/// The settings flags of `serve`, shared with `check-config` so that both
/// read the same file and flags the same way.
struct ServerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("TOML configuration file; flags override its settings.", valueName: "file"))
    var config: String?
    @Option(help: ArgumentHelp("QUIC listen address (default 0.0.0.0:8474).", valueName: "host:port"))
    var listen: String?
    @Option(help: ArgumentHelp("PEM certificate chain of the server.", valueName: "file"))
    var cert: String?
    @Option(help: ArgumentHelp("PEM private key of the server.", valueName: "file"))
    var key: String?
    @Option(help: ArgumentHelp("PEM CA that signs client certificates (mTLS).", valueName: "file"))
    var clientCA: String?
    @Flag(help: "Require a client certificate; each session is bound to its certificate's common name.")
    var requireClientCert = false
    @Option(help: ArgumentHelp("Admin HTTP API listen address (default 127.0.0.1:8475).", valueName: "host:port"))
    var adminListen: String?
    @Option(help: ArgumentHelp("File holding the admin bearer token (required unless the admin API is loopback-only).", valueName: "file"))
    var adminTokenFile: String?
    @Option(help: ArgumentHelp("Most connected clients (default 10000).", valueName: "n"))
    var maxClients: Int?
    @Option(help: ArgumentHelp("How often clients must PING (default 15s).", valueName: "duration"))
    var heartbeatInterval: String?
    @Option(help: ArgumentHelp("Silence after which a client is evicted (default 45s).", valueName: "duration"))
    var heartbeatTimeout: String?
    @Option(help: ArgumentHelp("How long answers are kept to answer a repeated msg_id (default 10m).", valueName: "duration"))
    var dedupWindow: String?
    @Option(help: ArgumentHelp("Directory of the message store (queued messages survive restarts).", valueName: "dir"))
    var dataDir: String?
    @Option(help: ArgumentHelp("Run as a cluster node on this PostgreSQL (no password here: use [cluster] password_file, PGPASSWORD or ~/.pgpass).", valueName: "postgres://user@host:port/db"))
    var clusterDatabase: String?
    @Option(help: ArgumentHelp("This node's name in the cluster (default: the host name).", valueName: "name"))
    var nodeID: String?
    @Option(help: ArgumentHelp("Executable run for every message from a client (payload on stdin).", valueName: "exec"))
    var onMessage: String?
    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical (default info).", valueName: "level"))
    var logLevel: String?
    @Option(help: ArgumentHelp("text (message first, then key=value fields) or json (one object per line).", valueName: "format"))
    var logFormat: String = "text"

    /// The file's settings with the flags applied.
    func settings() throws(ServerAppError) -> ServerSettings {
        var settings = try config.map { (path: String) throws(ServerAppError) in try ServerSettings.load(path: path) } ?? ServerSettings()
        if let listen { settings.listen = listen }
        if let cert { settings.certificateFile = absolute(cert) }
        if let key { settings.keyFile = absolute(key) }
        if let clientCA { settings.clientCAFile = absolute(clientCA) }
        if requireClientCert { settings.requireClientCertificate = true }
        if let adminListen { settings.adminListen = adminListen }
        if let adminTokenFile { settings.adminTokenFile = absolute(adminTokenFile) }
        if let maxClients {
            guard maxClients > 0 else { throw ServerAppError(.invalidConfiguration, "--max-clients must be at least 1, got \(maxClients)") }
            settings.maxClients = maxClients
        }
        if let heartbeatInterval { settings.heartbeatInterval = try duration(heartbeatInterval, flag: "--heartbeat-interval") }
        if let heartbeatTimeout { settings.heartbeatTimeout = try duration(heartbeatTimeout, flag: "--heartbeat-timeout") }
        if let dedupWindow { settings.deduplicationWindow = try duration(dedupWindow, flag: "--dedup-window") }
        if let dataDir { settings.dataDirectory = absolute(dataDir) }
        if let onMessage { settings.onMessage = absolute(onMessage) }
        if let clusterDatabase { settings.clusterDatabase = clusterDatabase }
        if let nodeID { settings.nodeID = nodeID }
        if let logLevel {
            guard ServerSettings.logLevels.contains(logLevel) else {
                throw ServerAppError(.invalidConfiguration, "--log-level \(logLevel) is not a level; use \(ServerSettings.logLevels.joined(separator: ", "))")
            }
            settings.logLevel = logLevel
        }
        return settings
    }

    private func duration(_ text: String, flag: String) throws(ServerAppError) -> Duration {
        do throws(ConfigurationError) {
            let value = try DurationParser.parse(text)
            guard value > .zero else { throw ConfigurationError("must be positive, got \(text)") }
            return value
        } catch {
            throw ServerAppError(.invalidConfiguration, "\(flag): \(error.message)")
        }
    }

    /// Flags may be relative to the working directory; settings are absolute.
    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
