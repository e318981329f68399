import Foundation
import Logging
import QUICTestSupport
import QuicFlow
import QuicFlowAgent
import ServiceLifecycle
import Testing

/// `[server] address` as a list (a cluster's nodes): the agent fails over
/// to the next address when a connection fails, and status says where it is.
@Suite("Agent: address list failover", .timeLimit(.minutes(1)))
struct AgentFailoverTests {
    @Test("a list with a dead address: the agent reaches the live one whatever its random start; when that server dies it moves to the next, and status shows the address it is on")
    func failover() async throws {
        let (directory, files) = try AgentServerFiles.make(prefix: "agent-failover")
        let (first, firstPort) = try await AgentServerFiles.startedServer(files)
        let (second, secondPort) = try await AgentServerFiles.startedServer(files)
        // Nothing listens here: every attempt at it fails.
        let deadPort = TestPorts.restartable()
        let configuration = try AgentConfiguration(toml: """
            [agent]
            client_id = "agent-f"
            data_dir = "\(directory)/data"
            [server]
            address = ["127.0.0.1:\(deadPort)", "127.0.0.1:\(firstPort)", "127.0.0.1:\(secondPort)"]
            server_name = "localhost"
            ca_file = "\(files.caFile)"
            [reconnect]
            initial_backoff = "100ms"
            max_backoff = "400ms"
            [heartbeat]
            interval = "1s"
            timeout = "3s"
            """)
        #expect(configuration.server.servers.map(\.port) == [deadPort, firstPort, secondPort])
        let agent = try AgentService(configuration: configuration)
        let group = ServiceGroup(configuration: .init(services: [agent], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        let outbox = try Outbox(path: configuration.outboxPath)
        @Sendable func status() async throws -> AgentStatus {
            try await AgentStatus.read(configuration: configuration, outbox: outbox)
        }

        try await eventually(timeout: .seconds(20), "the agent to register on a live server") {
            await first.clients().count + second.clients().count == 1
        }
        let onFirst = await first.clients().count == 1
        let (live, other, livePort, otherPort) = onFirst
            ? (first, second, firstPort, secondPort) : (second, first, secondPort, firstPort)
        try await eventually("status to name the server it is on") {
            try await status().serverAddress == "127.0.0.1:\(livePort)"
        }

        // Its server dies: the agent reconnects through the list to the other one.
        await live.stop()
        try await eventually(timeout: .seconds(30), "the agent to fail over to the other server") {
            await other.clients().map(\.clientID) == ["agent-f"]
        }
        try await eventually("status to follow it") {
            try await status().serverAddress == "127.0.0.1:\(otherPort)"
        }

        await group.triggerGracefulShutdown()
        try await running.value
        await other.stop()
    }

    @Test("address lists are checked entry by entry; an empty list and a repeated address are refused")
    func checked() throws {
        func problem(_ address: String) -> String {
            do {
                _ = try AgentConfiguration(toml: "[agent]\nclient_id = \"a\"\n[server]\naddress = \(address)\n")
                return ""
            } catch {
                return "\(error)"
            }
        }
        #expect(problem(#"["10.0.0.1:8474", "10.0.0.1:99999"]"#).contains("server.address[1]"))
        #expect(problem("[]").contains("empty list"))
        #expect(problem(#"["10.0.0.1:8474", "10.0.0.1:8474"]"#).contains("twice"))
        #expect(problem("8474").contains("expected a string or an array of strings"))
        let two = try AgentConfiguration(toml: "[agent]\nclient_id = \"a\"\n[server]\naddress = [\"10.0.0.1\", \"[::1]:9000\"]\n")
        #expect(two.server.servers == [
            ServerEndpoint(host: "10.0.0.1", port: 8474, serverName: "10.0.0.1"),
            ServerEndpoint(host: "::1", port: 9000, serverName: "::1"),
        ])
        #expect(two.server.host == "10.0.0.1")
    }
}
