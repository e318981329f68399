import NIOCore
import QUICTestSupport
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

@Suite("TLS refusals and identities")
struct TLSTests {
    @Test("a client offering only an unknown ALPN protocol is refused")
    func wrongALPN() async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(configuration: pki.serverConfiguration())
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration(alpn: ["h3"]))
        let error = await #expect(throws: QUICError.self) {
            _ = try await client.connect(host: "127.0.0.1", port: server.port, serverName: "localhost")
        }
        #expect(error?.code == .handshakeFailed)
        #expect(error?.message.contains("120") == true || error?.message.lowercased().contains("application protocol") == true)
        await client.close()
        await server.close()
    }

    @Test("an untrusted server certificate is refused unless insecureSkipVerify")
    func untrustedServer() async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(configuration: pki.serverConfiguration(files: pki.otherServer))
        let strict = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let error = await #expect(throws: QUICError.self) {
            _ = try await strict.connect(host: "127.0.0.1", port: server.port, serverName: "localhost")
        }
        #expect(error?.code == .handshakeFailed)
        #expect(error?.message.contains("NOT trusted") == true)

        let insecure = try await QUICEndpoint.client(configuration: pki.clientConfiguration(insecure: true))
        let connection = try await insecure.connect(host: "127.0.0.1", port: server.port, serverName: "localhost")
        #expect(try await exchange(connection, [1, 2, 3]) == [1, 2, 3])
        await strict.close()
        await insecure.close()
        await server.close()
    }

    @Test("the system trust store is used when asked, and does not trust a private CA")
    func systemTrust() async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(configuration: pki.serverConfiguration())
        let client = try await QUICEndpoint.client(
            configuration: QUICEndpointConfiguration(tls: .client(trustRoots: .system, applicationProtocols: [TestPKI.alpn])))
        let error = await #expect(throws: QUICError.self) {
            _ = try await client.connect(host: "127.0.0.1", port: server.port, serverName: "localhost")
        }
        #expect(error?.code == .handshakeFailed)
        #expect(error?.message.contains("NOT trusted") == true)
        await client.close()
        await server.close()
    }

    @Test("the server name is verified against the certificate")
    func hostnameMismatch() async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(configuration: pki.serverConfiguration())
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let error = await #expect(throws: QUICError.self) {
            _ = try await client.connect(host: "127.0.0.1", port: server.port, serverName: "backbone.example")
        }
        #expect(error?.message.contains("does not match") == true)
        // An IP literal is checked against the certificate's IP SANs.
        let byIP = try await client.connect(host: "127.0.0.1", port: server.port)
        #expect(byIP.peerIdentity?.commonName == "localhost")
        await client.close()
        await server.close()
    }

    @Test("mTLS: missing or untrusted client certificates are refused, the identity reaches the server")
    func mutualTLS() async throws {
        let pki = try TestPKI(clientID: "device-42")
        let server = try await EchoServer(configuration: pki.serverConfiguration(requireClientCertificate: true))

        let anonymous = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let missing = await #expect(throws: QUICError.self) {
            _ = try await anonymous.connect(host: "127.0.0.1", port: server.port, serverName: "localhost")
        }
        #expect(missing?.code == .handshakeFailed)

        let stranger = try await QUICEndpoint.client(configuration: pki.clientConfiguration(certificate: pki.otherClient))
        let untrusted = await #expect(throws: QUICError.self) {
            _ = try await stranger.connect(host: "127.0.0.1", port: server.port, serverName: "localhost")
        }
        #expect(untrusted?.code == .handshakeFailed)

        let device = try await QUICEndpoint.client(configuration: pki.clientConfiguration(certificate: pki.client))
        let connection = try await device.connect(host: "127.0.0.1", port: server.port, serverName: "localhost")
        #expect(try await exchange(connection, Array("ping".utf8)) == Array("ping".utf8))
        var accepted = server.accepted.makeAsyncIterator()
        let serverSide = try #require(await accepted.next())
        #expect(serverSide.peerIdentity == QUICPeerIdentity(commonName: "device-42", dnsNames: ["device-42.devices.test"]))

        for endpoint in [anonymous, stranger, device] { await endpoint.close() }
        await server.close()
    }

    @Test("IPv6: a server on ::1 and a client endpoint on ::")
    func ipv6() async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(host: "::1", configuration: pki.serverConfiguration())
        let client = try await QUICEndpoint.client(host: "::", configuration: pki.clientConfiguration())
        let connection = try await client.connect(host: "::1", port: server.port, serverName: "localhost")
        #expect(try await exchange(connection, Array("over v6".utf8)) == Array("over v6".utf8))
        #expect(connection.remoteAddress.protocol == .inet6)
        await client.close()
        await server.close()
    }

    @Test("bad configuration fails at construction with a message naming the problem")
    func badConfiguration() async throws {
        let pki = try TestPKI()
        var missingKey = pki.serverConfiguration()
        missingKey.tls.privateKeyFile = pki.directory + "/nope.key"
        let error = await #expect(throws: QUICError.self) {
            _ = try await QUICEndpoint.server(host: "127.0.0.1", port: 0, configuration: missingKey)
        }
        #expect(error?.code == .tlsConfiguration)
        #expect(error?.message.contains("nope.key") == true)

        var noTrust = pki.clientConfiguration()
        noTrust.tls.trustRoots = nil
        let trustError = await #expect(throws: QUICError.self) {
            _ = try await QUICEndpoint.client(configuration: noTrust)
        }
        #expect(trustError?.code == .invalidConfiguration)

        var badWindow = pki.clientConfiguration()
        badWindow.settings.idleTimeout = .zero
        await #expect(throws: QUICError.self) {
            _ = try await QUICEndpoint.client(configuration: badWindow)
        }

        var notPEM = pki.clientConfiguration()
        notPEM.tls.trustRoots = .file(pki.server.keyFile)
        let pemError = await #expect(throws: QUICError.self) {
            _ = try await QUICEndpoint.client(configuration: notPEM)
        }
        #expect(pemError?.code == .tlsConfiguration)
    }

    @Test("a handshake nobody answers times out with a clear error")
    func handshakeTimeout() async throws {
        let pki = try TestPKI()
        // A UDP socket that swallows everything.
        let silent = try await QUICEndpoint.client(host: "127.0.0.1", configuration: pki.clientConfiguration())
        var settings = QUICSettings()
        settings.handshakeTimeout = .milliseconds(500)
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration(settings: settings))
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: QUICError.self) {
            _ = try await client.connect(host: "127.0.0.1", port: silent.localAddress.port!, serverName: "localhost")
        }
        #expect(error?.code == .handshakeTimeout)
        #expect(clock.now - start < .seconds(5))
        #expect(try await client.statistics().connections == 0)
        await client.close()
        await silent.close()
    }
}
