import Logging
import QUICTestSupport
import QuicFlow
import Testing
import QuicFlowTime

@Suite("Security defaults", .timeLimit(.minutes(1)))
struct SecurityDefaultsTests {
    @Test("a client verifies the server by default: with no CA file it trusts only the system store, so a private CA's server is refused")
    func verificationByDefault() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration())
        let configuration = try ClientConfiguration(clientID: "careful", reconnectEnabled: false)
        #expect(configuration.insecureSkipVerify == false)
        let client = BackboneClient(configuration: configuration)
        let error = await #expect(throws: QuicFlowError.self) {
            try await client.connect(host: "127.0.0.1", port: port, serverName: "localhost")
        }
        #expect(error?.message.lowercased().contains("not trusted") == true)
        #expect(await server.clients().isEmpty)
        print("default client against a private CA: \(error.map { "\($0)" } ?? "connected")")
        await server.stop()
    }

    @Test("insecureSkipVerify logs a warning at every connect, reconnects included; the lost connection is a warning too")
    func insecureWarnsEachConnect() async throws {
        let fixture = try Fixture()
        let port = TestPorts.restartable()
        let (first, _) = try await fixture.startServer(try fixture.serverConfiguration(port: port))
        let store = RecordingLogHandler.Store()
        let client = BackboneClient(
            configuration: try ClientConfiguration(
                clientID: "trusting", insecureSkipVerify: true, initialBackoff: .milliseconds(100),
                maxBackoff: .milliseconds(300), jitter: 0),
            logger: RecordingLogHandler.logger("client", into: store))
        let (connects, connected) = AsyncStream<Void>.makeStream()
        var hooks = ClientEventHooks()
        hooks.onConnect = { connected.yield() }
        await client.setHooks(hooks)
        var events = connects.makeAsyncIterator()
        func warnings() -> Int {
            store.all.filter { $0.level == .warning && $0.message.contains("WITHOUT verifying") }.count
        }

        try await client.connect(host: "127.0.0.1", port: port, serverName: "localhost")
        _ = await events.next()
        #expect(warnings() == 1)

        await first.stop()
        let (second, _) = try await fixture.startServer(try fixture.serverConfiguration(port: port))
        _ = await events.next()
        // At least the successful reconnect, and one for each attempt while the server was down.
        #expect(warnings() >= 2)
        // A lost connection and each failed reconnect are warnings, not info (issue 15, point 16).
        let network = store.all.filter { $0.message.contains("connection to the backbone lost") || $0.message.contains("reconnect failed") }
        #expect(network.contains { $0.message.contains("connection to the backbone lost") })
        #expect(network.allSatisfy { $0.level == .warning }, "\(network.map { "\($0.level) \($0.message)" })")
        await client.disconnect()
        await second.stop()
    }
}
