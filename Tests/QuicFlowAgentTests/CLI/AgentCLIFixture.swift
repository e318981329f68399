import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowAgent
import Synchronization

/// A throw-away directory with certificates, handler scripts and an
/// `agent.conf`, and a real BackboneServer to point the agent at.
final class AgentCLIFixture: Sendable {
    let directory: String
    let files: CertificateFiles
    let handlers: String
    let clientID: String

    init(clientID: String = "cli-agent") throws {
        directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "agent-cli")
        let authority = try TestCertificateAuthority()
        files = try authority.writeFiles(
            for: try authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"]),
            in: directory, name: "server")
        self.clientID = clientID
        handlers = directory + "/handlers"
        try FileManager.default.createDirectory(atPath: handlers, withIntermediateDirectories: true)
        let source = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").path
        for name in try FileManager.default.contentsOfDirectory(atPath: source) where name.hasSuffix(".sh") {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: handlers + "/" + name)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: handlers + "/" + name)
        }
    }

    /// A path inside the fixture directory.
    func path(_ name: String) -> String { directory + "/" + name }

    var configPath: String { path("agent.conf") }
    var dataDirectory: String { path("data") }

    /// Writes `agent.conf` for a server on `port`, with `extra` TOML appended.
    func writeConfig(port: Int, extra: String = "") throws {
        let text = """
            [agent]
            client_id = "\(clientID)"
            data_dir = "\(dataDirectory)"
            [server]
            address = "127.0.0.1:\(port)"
            server_name = "localhost"
            ca_file = "\(files.caFile)"
            [reconnect]
            initial_backoff = "100ms"
            max_backoff = "400ms"
            [heartbeat]
            interval = "1s"
            timeout = "3s"
            \(extra)
            """
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Starts a BackboneServer (port 0 picks a free one).
    func startServer(port: Int = 0, configure: (BackboneServer) async -> Void = { _ in }) async throws -> BackboneServer {
        let server = BackboneServer(configuration: try ServerConfiguration(
            host: "127.0.0.1", port: port, certificateFile: files.certificateFile, keyFile: files.keyFile))
        await configure(server)
        try await server.start()
        return server
    }

    /// Runs the agent CLI with `--config` this fixture's file.
    func cli(_ arguments: [String], stdin: [UInt8] = []) async throws -> AgentExecutable.Run {
        try await AgentExecutable.run(arguments + ["--config", configPath], stdin: stdin)
    }

    /// `status --json`, decoded.
    func status() async throws -> AgentStatus {
        let run = try await cli(["status", "--json"])
        guard run.status == 0 else { throw AgentTestFailure("status failed (\(run.status)): \(run.stderr)") }
        return try AgentStatus.decode(json: run.stdout)
    }

    /// Starts `quicflow-agent run` in the background.
    func startAgent(log: String = "agent.log") throws -> AgentProcess {
        try AgentProcess(config: configPath, logPath: path(log))
    }

    /// The outbox file, opened from the test.
    func outbox() throws -> Outbox {
        try Outbox(path: dataDirectory + "/outbox.sqlite")
    }

    /// Deletes the directory, unless QUICFLOW_KEEP_TEST_DIRS is set (to
    /// read the agents' logs after a failure).
    func remove() {
        if ProcessInfo.processInfo.environment["QUICFLOW_KEEP_TEST_DIRS"] != nil {
            print("kept \(directory)")
            return
        }
        try? FileManager.default.removeItem(atPath: directory)
    }
}
