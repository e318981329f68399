import Logging
import NIOCore
import NIOPosix
import QUICTestSupport
import QuicFlow
import QuicFlowAgent
import ServiceLifecycle
import Synchronization
import Testing
import QuicFlowTime

@Suite("Agent across a black hole", .timeLimit(.minutes(3)))
struct AgentPathFaultTests {
    @Test("a 30 s black hole: the agent notices, reconnects with backoff once the path heals, and its outbox replays with nothing lost or handled twice")
    func blackHole() async throws {
        let directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "agent-black-hole")
        let authority = try TestCertificateAuthority()
        let files = try authority.writeFiles(
            for: try authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"]),
            in: directory, name: "server")
        let received = Mutex<[String: Int]>([:])
        let server = BackboneServer(configuration: try ServerConfiguration(
            host: "127.0.0.1", port: 0, certificateFile: files.certificateFile, keyFile: files.keyFile,
            heartbeatTimeout: .seconds(5)))
        await server.register(for: .event) { message in
            received.withLock { $0[message.text, default: 0] += 1 }
            return .success()
        }
        try await server.start()
        let port = try #require(await server.localAddress?.port)
        let proxy = try await UDPFaultProxy.start(
            upstream: try SocketAddress(ipAddress: "127.0.0.1", port: port), configuration: .passthrough,
            group: MultiThreadedEventLoopGroup.singleton)

        let configuration = try AgentConfiguration(toml: """
            [agent]
            client_id = "agent-hole"
            data_dir = "\(directory)/data"
            [server]
            address = "127.0.0.1:\(proxy.localAddress.port!)"
            server_name = "localhost"
            ca_file = "\(files.caFile)"
            [reconnect]
            initial_backoff = "200ms"
            max_backoff = "4s"
            jitter = 0
            [heartbeat]
            interval = "1s"
            timeout = "2s"
            [outbox]
            ack_timeout = "3s"
            in_flight = 8
            """)
        let agent = try AgentService(configuration: configuration)
        let group = ServiceGroup(configuration: .init(services: [agent], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        let outbox = try Outbox(path: configuration.outboxPath)
        @Sendable func state() async throws -> String? { try await outbox.state()[.connectionState] }
        try await eventually(timeout: .seconds(30), "the agent to connect") { try await state() == "connected" }

        for i in 0..<20 { try await outbox.enqueue(type: .event, payload: Array("before \(i)".utf8)) }
        try await eventually(timeout: .seconds(30), "the first 20 events to arrive") { received.withLock { $0.count } == 20 }

        proxy.setBlackHole(true)
        let holeStarted = ContinuousClock.now
        // Sent into the hole: some leave before the agent notices and are never acknowledged.
        for i in 0..<30 { try await outbox.enqueue(type: .event, payload: Array("during \(i)".utf8)) }
        try await eventually(timeout: .seconds(15), "the agent to notice the dead path") { try await state() != "connected" }
        let noticed = ContinuousClock.now - holeStarted
        try await Task.sleep(until: holeStarted + .seconds(30))  // the fault's duration, not a wait for an event
        #expect(received.withLock { $0.count } == 20, "nothing crosses a black hole")
        let dropped = proxy.statistics.clientToServer.dropped
        #expect(dropped > 0, "the agent kept trying during the hole")

        proxy.setBlackHole(false)
        let healed = ContinuousClock.now
        try await eventually(timeout: .seconds(20), "the agent to reconnect") { try await state() == "connected" }
        let reconnected = ContinuousClock.now - healed
        try await eventually(timeout: .seconds(20), "all 50 events to arrive") { received.withLock { $0.count } == 50 }
        try await eventually("the outbox to empty") { try await outbox.counts().total == 0 }
        let counts = received.withLock { $0 }
        #expect(Set(counts.keys) == Set((0..<20).map { "before \($0)" } + (0..<30).map { "during \($0)" }))
        #expect(counts.values.allSatisfy { $0 == 1 }, "no event handled twice: \(counts.filter { $0.value > 1 })")
        // Backoff is capped at 4 s, so once the path heals the next attempt comes within one cap.
        #expect(reconnected < .seconds(6))
        print("black hole: noticed after \(noticed), reconnected \(reconnected) after the path healed, \(dropped) datagrams lost in the hole")

        await group.triggerGracefulShutdown()
        try await running.value
        try await proxy.stop()
        await server.stop()
    }
}
