import NIOCore
import QUICTransport
import Testing

@Suite("Handshake, echo and TLS")
struct HandshakeTests {
    @Test("handshake and echo on one stream, with ALPN and peer identity")
    func handshakeAndEcho() async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(configuration: pki.serverConfiguration())
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let connection = try await client.connect(host: "127.0.0.1", port: server.port, serverName: "localhost")
        #expect(connection.applicationProtocol == "quic-backbone-v1")
        #expect(connection.peerIdentity?.commonName == "localhost")
        #expect(connection.peerIdentity?.dnsNames == ["localhost"])

        let reply = try await exchange(connection, Array("hello, backbone".utf8))
        #expect(String(decoding: reply, as: UTF8.self) == "hello, backbone")

        var accepted = server.accepted.makeAsyncIterator()
        let serverSide = try #require(await accepted.next())
        #expect(serverSide.peerIdentity == nil)
        #expect(serverSide.applicationProtocol == "quic-backbone-v1")
        let rtt = try #require(await connection.statistics())
        #expect(rtt.smoothedRTT > .zero)

        await connection.close()
        await client.close()
        await server.close()
    }
}
