import NIOCore
import QUICTransport
import QUICTestSupport
import Testing

@Suite("Closing and cleanup")
struct CloseTests {
    @Test("application close codes and reasons are seen on both sides")
    func closeCodes() async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(configuration: pki.serverConfiguration())
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        var accepted = server.accepted.makeAsyncIterator()

        let first = try await client.connect(host: "127.0.0.1", port: server.port, serverName: "localhost")
        let firstServerSide = try #require(await accepted.next())
        #expect(await first.close(errorCode: 42, reason: "bye") == .application(code: 42, reason: "bye", byPeer: false))
        #expect(await firstServerSide.closeReason == .application(code: 42, reason: "bye", byPeer: true))

        let second = try await client.connect(host: "127.0.0.1", port: server.port, serverName: "localhost")
        let secondServerSide = try #require(await accepted.next())
        await secondServerSide.close(errorCode: 7, reason: "server shutting down")
        #expect(await second.closeReason == .application(code: 7, reason: "server shutting down", byPeer: true))
        // A closed connection refuses new streams with a clear error.
        let error = await #expect(throws: QUICError.self) { _ = try await second.openStream() }
        #expect(error?.code == .connectionClosed)
        await client.close()
        await server.close()
    }

    @Test("idle timeout is seen on both sides")
    func idleTimeout() async throws {
        let pki = try TestPKI()
        var settings = QUICSettings()
        // 2 s: the handshake itself must finish inside it while the parallel suite loads both cores.
        settings.idleTimeout = .seconds(2)
        let server = try await EchoServer(configuration: pki.serverConfiguration(settings: settings))
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration(settings: settings))
        let connection = try await client.connect(host: "127.0.0.1", port: server.port, serverName: "localhost")
        var accepted = server.accepted.makeAsyncIterator()
        let serverSide = try #require(await accepted.next())
        #expect(await connection.closeReason == .idleTimeout)
        #expect(await serverSide.closeReason == .idleTimeout)
        await client.close()
        await server.close()
    }

    @Test("keep-alives hold an idle connection open past the idle timeout")
    func keepAlive() async throws {
        let pki = try TestPKI()
        var settings = QUICSettings()
        // 3 s: a fresh-clone CI run stalled a loop for over a second while
        // the parallel suite started (1 s and 600 ms both timed out there).
        settings.idleTimeout = .seconds(3)
        var clientSettings = settings
        clientSettings.keepAliveInterval = .milliseconds(250)
        let server = try await EchoServer(configuration: pki.serverConfiguration(settings: settings))
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration(settings: clientSettings))
        let connection = try await client.connect(host: "127.0.0.1", port: server.port, serverName: "localhost")
        // Wait for several idle timeouts' worth of time: without keep-alives
        // the connection would be gone (the test above shows it).
        try await Task.sleep(for: .seconds(8))
        #expect(try await exchange(connection, [9, 9, 9]) == [9, 9, 9])
        await client.close()
        await server.close()
    }

    @Test("no connection or stream state remains after 10,000 streams and 500 connections")
    func cleanup() async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(configuration: pki.serverConfiguration(), keepAccepted: false)
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let port = server.port

        do {
            let connection = try await client.connect(host: "127.0.0.1", port: port, serverName: "localhost")
            for batch in 0..<50 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for i in 0..<200 {
                        group.addTask {
                            let message = Array("\(batch)/\(i)".utf8)
                            guard try await exchange(connection, message) == message else {
                                throw TestFailure("echo mismatch on stream \(batch)/\(i)")
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            // Streams are gone as soon as both sides finished them.
            let open = try #require(await connection.statistics()).openStreams
            #expect(open == 0)
            await connection.close()
        }

        for batch in 0..<50 {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        let connection = try await client.connect(host: "127.0.0.1", port: port, serverName: "localhost")
                        _ = try await exchange(connection, [UInt8(batch)])
                        await connection.close()
                    }
                }
                try await group.waitForAll()
            }
        }

        for endpoint in [client, server.endpoint] {
            try await eventually("every connection and stream object to be released") {
                let stats = try await endpoint.statistics()
                return stats.connections == 0 && stats.routedConnectionIDs == 0
                    && stats.liveConnectionObjects == 0 && stats.liveStreamObjects == 0
            }
        }
        await client.close()
        await server.close()
    }
}
