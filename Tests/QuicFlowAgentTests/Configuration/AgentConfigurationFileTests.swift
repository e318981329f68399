import Foundation
import QuicFlowAgent
import QuicFlowHooks
import Testing

@Suite("Configuration: files")
struct AgentConfigurationFileTests {
    /// A fresh directory for one test.
    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("quicflow-agent-configuration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test("a file is read, and its problems are headed by its path")
    func load() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("agent.conf")
        try Data("[server]\naddress = \"backbone.example.com\"\n[agent]\nclient_id = \"edge-9\"\n".utf8).write(to: file)

        let configuration = try AgentConfiguration.load(path: file.path)
        #expect(configuration.clientID == "edge-9")
        #expect(configuration.server.port == 8474)

        try Data("[server]\naddress = \"backbone.example.com\"\n[outbox]\nmax_age = \"forever\"\n".utf8).write(to: file)
        let error = #expect(throws: AgentError.self) { try AgentConfiguration.load(path: file.path) }
        #expect(error?.message.hasPrefix("\(file.path) has 1 problem:\n  outbox.max_age: \"forever\" is not a duration") == true)

        try Data("[server]\naddress = \"backbone.example.com\"\n[outbox\n".utf8).write(to: file)
        let syntax = #expect(throws: AgentError.self) { try AgentConfiguration.load(path: file.path) }
        #expect(syntax?.message.hasPrefix("\(file.path) line 3, column ") == true)
    }

    @Test("a missing file is an error naming its path and the reason")
    func missingFile() {
        let path = "/nonexistent-\(UUID().uuidString)/agent.conf"
        let error = #expect(throws: AgentError.self) { try AgentConfiguration.load(path: path) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message == "cannot read the configuration file \(path): No such file or directory")
    }

    @Test("a directory, an empty path and a file that is not UTF-8 are errors naming the path")
    func unreadable() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let directoryError = #expect(throws: AgentError.self) { try AgentConfiguration.load(path: directory.path) }
        #expect(directoryError?.message == "cannot read the configuration file \(directory.path): it is a directory")

        let emptyError = #expect(throws: AgentError.self) { try AgentConfiguration.load(path: "") }
        #expect(emptyError?.message == "the configuration file path is empty")

        let binary = directory.appendingPathComponent("agent.conf")
        try Data([0x5B, 0xFF, 0xFE, 0x5D]).write(to: binary)
        let binaryError = #expect(throws: AgentError.self) { try AgentConfiguration.load(path: binary.path) }
        #expect(binaryError?.message == "cannot read the configuration file \(binary.path): it is not UTF-8 text")
    }

    /// `agent.conf.example` at the top of the repository.
    static let examplePath: String = {
        // #filePath is <repository>/Tests/QuicFlowAgentTests/Configuration/<this file>.
        var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(4)
        return components.joined(separator: "/") + "/agent.conf.example"
    }()

    @Test("agent.conf.example parses")
    func example() throws {
        let configuration = try AgentConfiguration.load(path: Self.examplePath)
        #expect(configuration.server.host == "backbone.example.com")
        #expect(configuration.server.port == 8474)
        #expect(configuration.handlers.command?.executable == "/usr/local/lib/quicflow/handlers/command")
        // Shown commented out: it names a handler nobody installed.
        #expect(configuration.commands["reboot"] == nil)
        #expect(configuration.outbox.maxMessages == 100_000)
    }

    @Test("agent.conf.example documents every key, and its commented-out defaults parse as written")
    func exampleDocumentsEveryKey() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        let keys = [
            "client_id", "data_dir",
            "address", "server_name", "ca_file", "cert_file", "key_file", "insecure_skip_verify",
            "initial_backoff", "max_backoff", "jitter",
            "interval", "timeout",
            "max_messages", "max_age", "ack_timeout", "max_attempts", "replay_rate", "in_flight",
            "exec", "args", "max_output", "concurrency", "user", "env", "kill_leftovers",
        ]
        for table in ["[agent]", "[server]", "[reconnect]", "[heartbeat]", "[outbox]", "[handlers.command]",
                      "[handlers.query]", "[handlers.event]", "[commands.reboot]"] {
            #expect(text.contains(table), "\(table) is not in the example")
        }
        let lines = text.split(separator: "\n")
        for key in keys {
            #expect(lines.contains { $0.hasPrefix("\(key) = ") || $0.hasPrefix("# \(key) = ") }, "\(key) is not in the example")
        }

        // Uncommenting every "# key = value" line (except placeholders) and
        // every "# [table]" must still give a valid file with the documented defaults.
        let uncommented = lines.map { line -> Substring in
            if line.hasPrefix("# ["), line.hasSuffix("]") { return line.dropFirst(2) }
            guard line.hasPrefix("# "), line.contains(" = "), !line.contains("<"),
                let key = line.dropFirst(2).split(separator: " ").first, keys.contains(String(key))
            else { return line }
            return line.dropFirst(2)
        }.joined(separator: "\n")
        let defaults = try AgentConfiguration(toml: uncommented, path: "agent.conf.example (uncommented)")
        let plain = try AgentConfiguration.load(path: Self.examplePath)
        #expect(defaults.reconnect == plain.reconnect)
        #expect(defaults.heartbeat == plain.heartbeat)
        #expect(defaults.outbox == plain.outbox)
        #expect(defaults.dataDirectory == plain.dataDirectory)
        #expect(defaults.server.insecureSkipVerify == plain.server.insecureSkipVerify)
        #expect(defaults.handlers.command?.timeout == plain.handlers.command?.timeout)
        #expect(defaults.handlers.command?.maxOutput == plain.handlers.command?.maxOutput)
        #expect(defaults.handlers.command?.concurrency == plain.handlers.command?.concurrency)
        #expect(defaults.handlers.command?.killLeftovers == plain.handlers.command?.killLeftovers)
        #expect(defaults.handlers.query?.executable == "/usr/local/lib/quicflow/handlers/query")
        #expect(defaults.commands["reboot"]?.executable == "/usr/local/lib/quicflow/handlers/reboot")
        #expect(defaults.commands["reboot"]?.timeout == .seconds(120))
        #expect(defaults.commands["reboot"]?.user == "root")
    }
}
