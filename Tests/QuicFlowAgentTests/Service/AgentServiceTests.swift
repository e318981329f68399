import Foundation
import Logging
import NIOCore
import QUICTestSupport
import QuicFlow
import QuicFlowAgent
import ServiceLifecycle
import Synchronization
import Testing
import QuicFlowHooks

@Suite("Agent service")
struct AgentServiceTests {
    @Test("events sent while the server is down all arrive exactly once and in order after it returns")
    func outboxSurvivesServerRestart() async throws {
        let (directory, files) = try AgentServerFiles.make(prefix: "agent-service")
        let received = Mutex<[String]>([])
        func startServer(port: Int) async throws -> BackboneServer {
            let server = BackboneServer(configuration: try ServerConfiguration(
                host: "127.0.0.1", port: port, certificateFile: files.certificateFile, keyFile: files.keyFile))
            await server.register(for: .event) { message in
                received.withLock { $0.append(message.text) }
                return .success()
            }
            try await server.start()
            return server
        }
        let first = try await startServer(port: TestPorts.restartable())
        let port = try #require(await first.localAddress?.port)

        let configuration = try AgentConfiguration(toml: """
            [agent]
            client_id = "agent-7"
            data_dir = "\(directory)/data"
            [server]
            address = "127.0.0.1:\(port)"
            server_name = "localhost"
            ca_file = "\(files.caFile)"
            [reconnect]
            initial_backoff = "100ms"
            max_backoff = "500ms"
            [outbox]
            in_flight = 1
            replay_rate = 1000
            """)
        let agent = try AgentService(configuration: configuration)
        let group = ServiceGroup(configuration: .init(services: [agent], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        try await eventually("the agent to register") { await first.clients().map(\.clientID) == ["agent-7"] }

        await first.stop()
        // Another process (like `quicflow-agent send`) fills the outbox meanwhile.
        let sender = try Outbox(path: configuration.outboxPath)
        for i in 0..<100 {
            try await sender.enqueue(type: .event, payload: Array("event \(i)".utf8))
        }
        let second = try await startServer(port: port)
        try await eventually(timeout: .seconds(30), "all 100 events to arrive") {
            received.withLock { $0.count } >= 100
        }
        try await eventually("the outbox to empty") { try await sender.counts().total == 0 }
        let texts = received.withLock { $0 }
        #expect(texts == (0..<100).map { "event \($0)" })
        #expect(try await sender.counts().inFlight == 0)

        await group.triggerGracefulShutdown()
        try await running.value
        await second.stop()
    }
}

@Suite("Agent service: server commands")
struct AgentCommandTests {
    @Test("server commands run handler executables: named commands, unknown names, a repeated msg_id runs once")
    func commands() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let (directory, files) = try AgentServerFiles.make(prefix: "agent-commands")
        let (server, port) = try await AgentServerFiles.startedServer(files)
        let counter = fixtures.path("runs.txt")
        let configuration = try AgentConfiguration(toml: """
            [agent]
            client_id = "agent-8"
            data_dir = "\(directory)/data"
            [server]
            address = "127.0.0.1:\(port)"
            server_name = "localhost"
            ca_file = "\(files.caFile)"
            [handlers.command]
            exec = "\(fixtures.path("echo-env.sh"))"
            [commands.reboot]
            exec = "\(fixtures.path("echo-env.sh"))"
            args = ["now"]
            [commands.count]
            exec = "\(fixtures.path("counter.sh"))"
            env = { LOG_FILE = "\(counter)" }
            """)
        let agent = try AgentService(configuration: configuration)
        let group = ServiceGroup(configuration: .init(services: [agent], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        try await eventually("the agent to register") { await server.clients().map(\.clientID) == ["agent-8"] }

        // The Go command manager's envelope routes to [commands.reboot].
        let named = try await server.send(
            Message(type: .command, text: #"{"command_type": "reboot", "payload": {"delay": 5}}"#, waitAck: true), to: "agent-8")
        #expect(named.status == .success)
        #expect(named.text.contains("args=now"))
        #expect(named.text.contains("command=reboot"))
        #expect(named.text.contains("client_id=agent-8"))
        #expect(named.text.hasSuffix(#"payload={"delay":5}"#))

        // A plain command goes to [handlers.command]; an unknown name is refused.
        let plain = try await server.send(Message(type: .command, text: "hello", waitAck: true), to: "agent-8")
        #expect(plain.text.hasSuffix("payload=hello"))
        #expect(plain.text.contains("command=<unset>"))
        let query = try await server.send(Message(type: .query, text: "q", waitAck: true), to: "agent-8")
        #expect(query == .failure("no handler for query"))

        // The same msg_id twice: the handler runs once, the result is returned twice.
        var repeated = Message(type: .command, text: #"{"command_type": "count"}"#, waitAck: true)
        repeated.msgID = "server-retry-1"
        let once = try await server.send(repeated, to: "agent-8")
        let twice = try await server.send(repeated, to: "agent-8")
        #expect(once.status == .success)
        #expect(twice == once)
        let runs = try String(contentsOfFile: counter, encoding: .utf8).split(separator: "\n").filter { $0 == "+" }
        #expect(runs.count == 1)

        await group.triggerGracefulShutdown()
        try await running.value
        await server.stop()
    }
}

@Suite("Agent service: handler queue")
struct AgentHandlerQueueTests {
    @Test("handler_queue must be at least 1")
    func handlerQueueChecked() {
        #expect {
            try AgentConfiguration(toml: "[agent]\nclient_id = \"a\"\nhandler_queue = 0\n[server]\naddress = \"127.0.0.1:1\"")
        } throws: { error in
            "\(error)".contains("agent.handler_queue: must be at least 1")
        }
    }

    @Test("past handler_queue, messages from the server are answered FAILURE busy and counted in quicflow-agent status")
    func busyIsRefusedAndCounted() async throws {
        let (directory, files) = try AgentServerFiles.make(prefix: "agent-busy")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (server, port) = try await AgentServerFiles.startedServer(files)
        // The handler holds its worker until the test opens the gate.
        let gate = directory + "/gate"
        let handler = directory + "/gated.sh"
        try """
            #!/bin/sh
            while [ ! -e "\(gate)" ]; do sleep 0.02; done
            printf 'ran'
            """.write(toFile: handler, atomically: true, encoding: .utf8)
        chmod(handler, 0o755)
        let configuration = try AgentConfiguration(toml: """
            [agent]
            client_id = "agent-busy"
            data_dir = "\(directory)/data"
            handler_queue = 2
            [server]
            address = "127.0.0.1:\(port)"
            server_name = "localhost"
            ca_file = "\(files.caFile)"
            [handlers.command]
            exec = "\(handler)"
            concurrency = 1
            """)
        let agent = try AgentService(configuration: configuration)
        let group = ServiceGroup(configuration: .init(services: [agent], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        try await eventually("the agent to register") { await server.clients().map(\.clientID) == ["agent-busy"] }

        // One runs, two wait, two are refused at once.
        let sends = (0..<5).map { n in
            Task { try await server.send(Message(type: .command, text: "c\(n)", waitAck: true, timeout: .seconds(30)), to: "agent-busy") }
        }
        let outbox = try Outbox(path: configuration.outboxPath)
        try await eventually("two refusals counted") { try await outbox.state()[.handlerBusyRefusals] == "2" }
        _ = FileManager.default.createFile(atPath: gate, contents: nil)
        var answers: [Response] = []
        for send in sends { answers.append(try await send.value) }
        #expect(answers.filter { $0 == .success(text: "ran") }.count == 3)
        let refused = answers.filter { $0.status == .failure }
        #expect(refused.count == 2)
        #expect(refused.allSatisfy { $0.error.contains("busy") }, "\(refused)")

        let status = try await AgentStatus.read(configuration: configuration, outbox: outbox)
        #expect(status.handlerBusyRefusals == 2)
        #expect(status.text().contains("2 message(s) from the server refused"))
        #expect(try AgentStatus.decode(json: Array(status.jsonText().utf8)).handlerBusyRefusals == 2)

        await group.triggerGracefulShutdown()
        try await running.value
        await server.stop()
    }
}

/// The server side of the agent service tests: a localhost certificate from
/// a throwaway CA, and a started backbone using it.
enum AgentServerFiles {
    static func make(prefix: String) throws -> (directory: String, files: CertificateFiles) {
        let directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: prefix)
        let authority = try TestCertificateAuthority()
        let files = try authority.writeFiles(
            for: try authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"]),
            in: directory, name: "server")
        return (directory, files)
    }

    static func startedServer(_ files: CertificateFiles) async throws -> (BackboneServer, Int) {
        let server = BackboneServer(configuration: try ServerConfiguration(
            host: "127.0.0.1", port: 0, certificateFile: files.certificateFile, keyFile: files.keyFile))
        try await server.start()
        guard let port = await server.localAddress?.port else { throw AgentTestFailure("the server has no port") }
        return (server, port)
    }
}

struct AgentTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
