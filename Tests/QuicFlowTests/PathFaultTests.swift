import NIOCore
import NIOPosix
import QUICTestSupport
import QUICTransport
import QuicFlow
import Synchronization
import Testing

/// The backbone across a bad network: a real UDP proxy between client and
/// server dropping, reordering and rebinding datagrams.
@Suite("Path faults", .timeLimit(.minutes(3)))
struct PathFaultTests {
    @Test("at 20% datagram loss each way, 1,000 WaitAck commands all succeed, each handled exactly once")
    func loss() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration())
        let proxy = try await UDPFaultProxy.start(
            upstream: try SocketAddress(ipAddress: "127.0.0.1", port: port),
            configuration: .init(lossRate: 0.2, reorderRate: 0.05, seed: 20), group: MultiThreadedEventLoopGroup.singleton)
        let handled = Mutex<[String: Int]>([:])
        let client = BackboneClient(configuration: try fixture.clientConfiguration("lossy"))
        await client.register(for: .command) { message in
            handled.withLock { $0[message.text, default: 0] += 1 }
            return .success(text: "done \(message.text)")
        }
        try await client.connect(host: "127.0.0.1", port: proxy.localAddress.port!, serverName: "localhost")

        let started = ContinuousClock.now
        let failures = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<20 {
                group.addTask {
                    var failures: [String] = []
                    for i in 0..<50 {
                        let text = "\(worker)-\(i)"
                        let response = try await server.send(
                            Message(type: .command, text: text, waitAck: true, timeout: .seconds(60)), to: "lossy")
                        if response.status != .success || response.text != "done \(text)" {
                            failures.append("\(text): \(response.status) \(response.error)")
                        }
                    }
                    return failures
                }
            }
            return try await group.reduce([], +)
        }
        let elapsed = ContinuousClock.now - started
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        let counts = handled.withLock { $0 }
        #expect(counts.count == 1_000)
        #expect(counts.values.allSatisfy { $0 == 1 }, "no command handled twice")
        let stats = proxy.statistics
        #expect(stats.clientToServer.dropped > 50 && stats.serverToClient.dropped > 50, "the proxy really dropped datagrams")
        print("path faults: 1,000 WaitAck commands at 20% loss in \(elapsed); dropped \(stats.clientToServer.dropped) up, \(stats.serverToClient.dropped) down")
        await client.disconnect()
        try await proxy.stop()
        await server.stop()
    }

    @Test("a NAT rebinding (new source port) mid-session: the session survives; the device's next event and the next command are answered within 5 s")
    func rebinding() async throws {
        let fixture = try Fixture()
        let disconnects = Mutex<[String]>([])
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration()) { server in
            await server.register(for: .event) { _ in .success() }
            var hooks = ServerEventHooks()
            hooks.onDisconnect = { id, reason in disconnects.withLock { $0.append("\(id): \(reason)") } }
            await server.setHooks(hooks)
        }
        let proxy = try await UDPFaultProxy.start(
            upstream: try SocketAddress(ipAddress: "127.0.0.1", port: port), configuration: .passthrough,
            group: MultiThreadedEventLoopGroup.singleton)
        let client = BackboneClient(configuration: try fixture.clientConfiguration(
            "roaming", heartbeatInterval: .seconds(1), heartbeatTimeout: .seconds(20)))
        await client.register(for: .command) { .success(text: "here: \($0.text)") }
        try await client.connect(host: "127.0.0.1", port: proxy.localAddress.port!, serverName: "localhost")
        #expect(try await server.send(Message(type: .command, text: "before", waitAck: true), to: "roaming").text == "here: before")
        let connectedAt = try #require(await server.clients().first?.connectedAt)

        let before = Set(try await proxy.upstreamLocalAddresses().values)
        try await proxy.rebindUpstream()
        let after = Set(try await proxy.upstreamLocalAddresses().values)
        #expect(before.isDisjoint(with: after), "the server now sees another source address")

        // A NAT picks a new port when the device sends after a quiet spell,
        // so the device's next message is what shows the server the new path.
        let started = ContinuousClock.now
        let event = try await client.send(Message(type: .event, text: "moved", waitAck: true, timeout: .seconds(5)))
        let response = try await server.send(
            Message(type: .command, text: "after", waitAck: true, timeout: .seconds(5)), to: "roaming")
        let elapsed = ContinuousClock.now - started
        let state = await client.state
        #expect(event.status == .success, "\(event.status) \(event.error)")
        #expect(response.status == .success && response.text == "here: after", "\(response.status) \(response.error); disconnects \(disconnects.withLock { $0 }); client \(state)")
        #expect(disconnects.withLock { $0 }.isEmpty, "the session migrated instead of reconnecting")
        #expect(await server.clients().first?.connectedAt == connectedAt)
        print("path faults: event and command answered \(elapsed) after the NAT rebinding, same session")
        await client.disconnect()
        try await proxy.stop()
        await server.stop()
    }
}
