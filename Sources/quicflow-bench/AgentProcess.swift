import Foundation

/// A `quicflow-agent` for the benchmarks: its configuration file, and the
/// process when it runs.
struct AgentProcess {
    let configPath: String
    let dataDirectory: String

    /// Writes an agent.conf in `directory` joining the benchmark backbone.
    init(directory: String, backbone: BenchBackbone, clientID: String, outboxLines: [String] = []) throws {
        dataDirectory = directory + "/agent-data"
        configPath = directory + "/agent.conf"
        let text = """
            [agent]
            client_id = "\(clientID)"
            data_dir = "\(dataDirectory)"

            [server]
            address = "127.0.0.1:\(backbone.port)"
            server_name = "localhost"
            ca_file = "\(backbone.files.caFile)"

            [outbox]
            \(outboxLines.joined(separator: "\n"))
            """
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    var outboxPath: String { dataDirectory + "/outbox.sqlite" }

    /// Starts `quicflow-agent run`.
    func start() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try SiblingExecutable.path("quicflow-agent"))
        process.arguments = ["run", "--config", configPath, "--log-level", "error"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs `quicflow-agent ARGS --config CONF` to its end; returns its status.
    func command(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try SiblingExecutable.path("quicflow-agent"))
        process.arguments = arguments + ["--config", configPath]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
