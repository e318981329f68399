import Logging
import NIOCore
import QUICTestSupport
import QuicFlow
import ServiceLifecycle
import Testing

@Suite("Metrics, Prometheus and service lifecycle")
struct MetricsTests {
    @Test("metrics count messages, acknowledgements and heartbeats, with latency percentiles")
    func snapshot() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration()) { server in
            await server.register(for: .event) { _ in .success() }
        }
        let client = try await fixture.connectClient(try fixture.clientConfiguration("metered"), port: port) { client in
            await client.register(for: .command) { message in .success(message.payload) }
        }
        for i in 0..<50 {
            _ = try await server.send(Message(type: .command, text: "cmd \(i)", waitAck: true), to: "metered")
        }
        for _ in 0..<10 {
            _ = try await client.send(Message(type: .event, text: "evt", waitAck: true))
        }
        _ = await server.broadcast(Message(type: .event, text: "hi"))
        let m = await server.metrics()
        #expect(m.connectedClients == 1)
        #expect(m.totalConnections == 1)
        #expect(m.messagesSent == 51)
        #expect(m.messagesReceived == 10)
        #expect(m.promiseCreated == 50 && m.promiseCompleted == 50 && m.promiseActive == 0)
        #expect(m.broadcastsSent == 1 && m.broadcastTargets == 1)
        #expect(m.heartbeatsReceived >= 1)
        #expect(m.bytesSent > 0 && m.bytesReceived == 30)
        #expect(m.p50Latency > 0 && m.p50Latency <= m.p95Latency && m.p95Latency <= m.p99Latency)
        #expect(m.averageLatency > 0)
        // 61 messages within the last seconds: the 10-second window reports
        // them (on a loaded machine some may fall out of the window).
        #expect(m.messageThroughput >= 1)
        #expect(m.timestamp > 1_700_000_000_000)
        await client.disconnect()
        await server.stop()
    }

    @Test("Prometheus text exposition names every metric with the quicflow_ prefix")
    func prometheus() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration())
        let client = try await fixture.connectClient(try fixture.clientConfiguration("scraped"), port: port) { client in
            await client.register(for: .command) { _ in .success() }
        }
        _ = try await server.send(Message(type: .command, text: "x", waitAck: true), to: "scraped")
        let first = await server.prometheusText()
        #expect(first.contains("# TYPE quicflow_connected_clients gauge"))
        #expect(first.contains("quicflow_connected_clients 1"))
        #expect(first.contains("# TYPE quicflow_messages_sent_total counter"))
        #expect(first.contains("quicflow_messages_sent_total 1"))
        #expect(first.contains("quicflow_ack_latency_p99_microseconds"))
        let names = first.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: " ").first }
        #expect(!names.isEmpty && names.allSatisfy { $0.hasPrefix("quicflow_") })
        // Counters grow by what happened since the last scrape.
        _ = try await server.send(Message(type: .command, text: "y", waitAck: true), to: "scraped")
        #expect(await server.prometheusText().contains("quicflow_messages_sent_total 2"))
        await client.disconnect()
        await server.stop()
    }

    @Test("as a Service, graceful shutdown stops the server and closes clients with code 7")
    func service() async throws {
        let fixture = try Fixture()
        let server = BackboneServer(configuration: try fixture.serverConfiguration())
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [server], logger: Logger(label: "test.group")))
        let running = Task { try await group.run() }
        try await eventually("the server to listen") { await server.localAddress != nil }
        let port = try #require(await server.localAddress?.port)
        let (events, event) = AsyncStream.makeStream(of: String.self)
        let client = try await fixture.connectClient(try fixture.clientConfiguration("svc", reconnect: false), port: port) { client in
            var hooks = ClientEventHooks()
            hooks.onDisconnect = { event.yield($0) }
            await client.setHooks(hooks)
        }
        await group.triggerGracefulShutdown()
        try await running.value
        var iterator = events.makeAsyncIterator()
        let reason = try #require(await iterator.next())
        #expect(reason.contains("code 7"))
        #expect(await client.state == .idle)
        let afterStop = await #expect(throws: QuicFlowError.self) {
            try await server.send(Message(type: .event, text: "x"), to: "svc")
        }
        #expect(afterStop?.code == .shuttingDown)
    }
}
