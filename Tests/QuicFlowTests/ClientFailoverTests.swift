import NIOCore
import NIOPosix
import QUICTestSupport
import QUICTransport
import QuicFlow
import Synchronization
import Testing

/// A client with an address list whose server vanishes (a black hole: no
/// CONNECTION_CLOSE, as after kill -9) goes to the next address first,
/// rather than spending a handshake timeout on the dead one.
@Suite("Client failover", .timeLimit(.minutes(2)))
struct ClientFailoverTests {
    @Test("after its server vanishes, the first reconnect goes to the next address of the list, and succeeds")
    func nextServerFirst() async throws {
        let fixture = try Fixture()
        let (first, firstPort) = try await fixture.startServer(try fixture.serverConfiguration())
        let (second, secondPort) = try await fixture.startServer(try fixture.serverConfiguration())
        let proxy = try await UDPFaultProxy.start(
            upstream: try SocketAddress(ipAddress: "127.0.0.1", port: firstPort), configuration: .passthrough,
            group: MultiThreadedEventLoopGroup.singleton)
        let client = BackboneClient(configuration: try fixture.clientConfiguration(
            "roamer", heartbeatInterval: .milliseconds(300), heartbeatTimeout: .seconds(1), handshakeTimeout: .seconds(5)))
        let failedAttempts = Mutex<[String]>([])
        var hooks = ClientEventHooks()
        hooks.onReconnectFailed = { attempt, error in failedAttempts.withLock { $0.append("\(attempt): \(error)") } }
        await client.setHooks(hooks)
        let servers = [
            ServerEndpoint(host: "127.0.0.1", port: proxy.localAddress.port!, serverName: "localhost"),
            ServerEndpoint(host: "127.0.0.1", port: secondPort, serverName: "localhost"),
        ]
        try await client.connect(to: servers, startingAt: 0)
        try await eventually("the first server has the client") { await first.clients().map(\.clientID) == ["roamer"] }

        proxy.setBlackHole(true)
        try await eventually(timeout: .seconds(20), "the second server has the client") {
            await second.clients().map(\.clientID) == ["roamer"]
        }
        #expect(await client.currentServer == servers[1])
        #expect(failedAttempts.withLock { $0 } == [], "no attempt went to the vanished server first")
        await client.disconnect()
        try await proxy.stop()
        await first.stop()
        await second.stop()
    }
}
