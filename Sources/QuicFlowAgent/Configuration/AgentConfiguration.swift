public import QuicFlow
import QuicFlowConfigFile
public import QuicFlowHooks

/// The agent's configuration file, `agent.conf` (TOML): who the agent is,
/// which backbone it joins, how it keeps the connection, how its outbox
/// behaves and which executables handle the backbone's messages.
///
/// Only `[server] address` is required; every other key has a default
/// (`agent.conf.example` at the top of the repository lists them all).
/// Reading is strict: unknown tables and keys, wrong types and values out
/// of range are errors, every one named by its key with its table
/// ("outbox.max_age"), and all problems of a file are reported at once.
///
/// ```swift
/// let configuration = try AgentConfiguration.load(path: "/etc/quicflow/agent.conf")
/// let client = BackboneClient(configuration: try configuration.clientConfiguration())
/// try await client.connect(
///     host: configuration.server.host, port: configuration.server.port,
///     serverName: configuration.server.serverName)
/// ```
public struct AgentConfiguration: Sendable, Hashable {
    /// Default of ``dataDirectory``.
    public static let defaultDataDirectory = "/var/lib/quicflow-agent"

    /// `[agent] client_id`: the id this agent registers with (1 to 256
    /// bytes); default the machine's host name.
    public let clientID: String
    /// `[agent] data_dir`: absolute path of the directory for the agent's
    /// state; default `/var/lib/quicflow-agent`.
    public let dataDirectory: String
    /// Default of ``handlerQueue``.
    public static let defaultHandlerQueue = 1_000
    /// `[agent] handler_queue`: messages from the server that may wait for
    /// a free handler; more are answered FAILURE "busy" (and counted in
    /// `quicflow-agent status`); default 1,000.
    public let handlerQueue: Int
    /// `[server]`: which backbone to join and how to trust it.
    public let server: ServerSettings
    /// `[reconnect]`: how a lost connection is retried.
    public let reconnect: ReconnectSettings
    /// `[heartbeat]`: how a dead connection is noticed.
    public let heartbeat: HeartbeatSettings
    /// `[outbox]`: how outgoing messages are kept until acknowledged.
    public let outbox: OutboxSettings
    /// `[handlers.command]`, `[handlers.query]`, `[handlers.event]`: the
    /// handler of each message type.
    public let handlers: HandlerSettings
    /// `[commands.NAME]`: handlers of named commands, by name (the
    /// `command_type` of a COMMAND payload, PROTOCOL.md).
    public let commands: [String: HandlerConfiguration]

    /// The outbox database: `outbox.sqlite` in ``dataDirectory``.
    public var outboxPath: String {
        // Trim a trailing "/" so "/var/lib/x/" does not give "/var/lib/x//outbox.sqlite".
        var directory = Substring(dataDirectory)
        while directory.count > 1 && directory.hasSuffix("/") { directory = directory.dropLast() }
        return directory == "/" ? "/outbox.sqlite" : "\(directory)/outbox.sqlite"
    }

    /// The handler for a message of `type`: for a COMMAND whose payload
    /// names a `command_type` that has a `[commands.NAME]` table, that
    /// one; otherwise the `[handlers.TYPE]` one; `nil` when neither exists.
    public func handler(for type: MessageType, commandType: String? = nil) -> HandlerConfiguration? {
        if type == .command, let commandType, let named = commands[commandType] {
            return named
        }
        return handlers.handler(for: type)
    }

    /// The tables the file may hold at its top level.
    static let tables = ["agent", "server", "reconnect", "heartbeat", "outbox", "handlers", "commands"]
    /// The keys `[agent]` may hold.
    static let agentKeys = ["client_id", "data_dir", "handler_queue"]

    /// Parses and checks a configuration written in TOML.
    /// - Parameters:
    ///   - toml: the file's text.
    ///   - path: where the text came from, named in error messages.
    /// - Throws: ``AgentError`` (`invalidConfiguration`): for a TOML syntax
    ///   error, one line with the line and column ("agent.conf line 12,
    ///   column 5: ..."); otherwise every problem of the file, one per line,
    ///   each starting with its key ("outbox.max_age: ...").
    public init(toml: String, path: String? = nil) throws(AgentError) {
        let root: ConfigurationTable
        do {
            root = try ConfigurationDocument.parse(toml, path: path)
        } catch {
            throw AgentError(error)
        }
        let problems = root.problems
        root.rejectUnknownKeys(known: Self.tables, kind: "table")

        let agent = root.subtable("agent")
        agent.rejectUnknownKeys(known: Self.agentKeys)
        var clientID = agent.string("client_id")
        if clientID == nil && !agent.contains("client_id") {
            clientID = HostName.current()
            if clientID?.isEmpty == true {
                agent.report("client_id", "not set, and the host name is empty; set client_id")
            }
        }
        if let id = clientID, id.utf8.count > Self.maxClientIDLength {
            agent.report("client_id", "is \(id.utf8.count) bytes long; at most \(Self.maxClientIDLength) are allowed")
        }

        self.clientID = clientID ?? ""
        self.dataDirectory =
            agent.absolutePath("data_dir", what: "the agent's data directory") ?? Self.defaultDataDirectory
        self.handlerQueue = agent.integer("handler_queue", atLeast: 1) ?? Self.defaultHandlerQueue
        self.server = ServerSettings(reading: root.subtable("server"))
        self.reconnect = ReconnectSettings(reading: root.subtable("reconnect"))
        self.heartbeat = HeartbeatSettings(reading: root.subtable("heartbeat"))
        self.outbox = OutboxSettings(reading: root.subtable("outbox"))
        self.handlers = HandlerSettings(reading: root.subtable("handlers"))
        self.commands = Self.readCommands(root.subtable("commands"))

        if let error = problems.error(path: path) {
            throw AgentError(error)
        }
    }

    /// Reads and checks the configuration file at `path`.
    /// - Throws: ``AgentError`` (`invalidConfiguration`) naming `path` when
    ///   the file is missing, unreadable or not UTF-8 text, and as
    ///   ``init(toml:path:)`` does when its content is wrong.
    public static func load(path: String) throws(AgentError) -> AgentConfiguration {
        let text: String
        do {
            text = try ConfigurationFile.contents(atPath: path)
        } catch {
            throw AgentError(error)
        }
        return try AgentConfiguration(toml: text, path: path)
    }

    /// PROTOCOL.md: a client id is 1 to 256 bytes.
    static let maxClientIDLength = 256

    /// Reads every `[commands.NAME]` table.
    private static func readCommands(_ table: ConfigurationTable) -> [String: HandlerConfiguration] {
        var commands: [String: HandlerConfiguration] = [:]
        for name in table.keys {
            if name.isEmpty {
                table.report(name, "a command name must not be empty")
                continue
            }
            let entries = table.subtable(name)
            // A non-table is already reported by subtable.
            guard entries.table != nil else { continue }
            if let handler = HandlerConfiguration(reading: entries) {
                commands[name] = handler
            }
        }
        return commands
    }
}
