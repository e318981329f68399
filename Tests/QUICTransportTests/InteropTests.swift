import NIOCore
import QUICTestSupport
import QUICTransport
import Testing

@Suite("Interop with aioquic")
struct InteropTests {
    @Test("the Swift client handshakes and echoes streams with an aioquic server")
    func swiftClientAioquicServer() async throws {
        let pki = try TestPKI()
        let peer = try PythonPeer(script: "echo_server.py", arguments: [
            "--host", "127.0.0.1", "--port", "0",
            "--certificate", pki.server.certificateFile, "--private-key", pki.server.keyFile,
        ])
        defer { peer.stop() }
        var lines = peer.lines().makeAsyncIterator()
        let ready = try #require(await lines.next())
        let port = try #require(ready.hasPrefix("LISTENING ") ? Int(ready.dropFirst("LISTENING ".count)) : nil)

        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let connection = try await client.connect(host: "127.0.0.1", port: port, serverName: "localhost")
        #expect(connection.applicationProtocol == "quic-backbone-v1")
        #expect(connection.peerIdentity?.commonName == "localhost")
        #expect(try await exchange(connection, Array("hello aioquic".utf8)) == Array("hello aioquic".utf8))
        let big = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) }
        #expect(try await exchange(connection, big) == big)
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<20 {
                group.addTask {
                    let message = Array("stream \(i)".utf8)
                    return try await exchange(connection, message) == message
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 } && results.count == 20)
        #expect(await connection.close(errorCode: 0) == .application(code: 0, reason: "", byPeer: false))
        await client.close()
    }

    @Test("an aioquic client handshakes and echoes streams with the Swift server")
    func aioquicClientSwiftServer() async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(configuration: pki.serverConfiguration())
        let peer = try PythonPeer(script: "echo_client.py", arguments: [
            "--host", "127.0.0.1", "--port", "\(server.port)", "--server-name", "localhost",
            "--ca-file", pki.server.caFile, "--streams", "20", "--message", "hello swift",
        ])
        defer { peer.stop() }
        var output: [String] = []
        for await line in peer.lines() { output.append(line) }
        #expect(await peer.exitStatus() == 0, "aioquic client said: \(output)")
        #expect(output == ["OK 20", "ECHO hello swift"])
        var accepted = server.accepted.makeAsyncIterator()
        let connection = try #require(await accepted.next())
        #expect(connection.applicationProtocol == "quic-backbone-v1")
        #expect(await connection.closeReason == .application(code: 0, reason: "", byPeer: true))
        await server.close()
    }

    @Test("an aioquic client with a certificate passes Swift mTLS and is identified")
    func aioquicClientMutualTLS() async throws {
        let pki = try TestPKI(clientID: "aioquic-device")
        let server = try await EchoServer(configuration: pki.serverConfiguration(requireClientCertificate: true))
        let peer = try PythonPeer(script: "echo_client.py", arguments: [
            "--port", "\(server.port)", "--ca-file", pki.server.caFile,
            "--certificate", pki.client.certificateFile, "--private-key", pki.client.keyFile,
        ])
        defer { peer.stop() }
        var output: [String] = []
        for await line in peer.lines() { output.append(line) }
        #expect(await peer.exitStatus() == 0, "aioquic client said: \(output)")
        var accepted = server.accepted.makeAsyncIterator()
        let connection = try #require(await accepted.next())
        #expect(connection.peerIdentity?.commonName == "aioquic-device")
        await server.close()
    }

    @Test("a client offering X25519MLKEM768 first (as Go 1.25 does) gets a HelloRetryRequest for X25519 and completes", arguments: [true, false])
    func helloRetryForX25519(offersMLKEM: Bool) async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(configuration: pki.serverConfiguration())
        let peer = try PythonPeer(script: "hrr_client.py", arguments: [
            "--host", "127.0.0.1", "--port", "\(server.port)", "--server-name", "localhost",
            "--ca-file", pki.server.caFile, "--message", "post-quantum hello",
        ] + (offersMLKEM ? [] : ["--no-mlkem"]))
        defer { peer.stop() }
        var output: [String] = []
        for await line in peer.lines() { output.append(line) }
        #expect(await peer.exitStatus() == 0, "aioquic client said: \(output)")
        // GnuTLS 3.7.9 has no ML-KEM: it skips that share and asks for the client's next group.
        let expected = offersMLKEM
            ? ["HRR selected_group=0x001d", "NEGOTIATED group=0x001d", "ECHO ok"]
            : ["NO_HRR", "NEGOTIATED group=0x001d", "ECHO ok"]
        #expect(output == expected)
        await server.close()
    }

}
