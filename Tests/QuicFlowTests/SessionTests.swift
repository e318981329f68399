import NIOCore
import QUICTestSupport
import QUICTransport
import QuicFlow
import QuicFlowProtocol
import Synchronization
import Testing

@testable import QuicFlow
import QuicFlowTime

@Suite("Sessions: registration, heartbeats, limits, reconnect")
struct SessionTests {
    @Test("a connection that never registers is closed with code 1")
    func registrationTimeout() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(
            try fixture.serverConfiguration(registrationTimeout: .milliseconds(300)))
        let raw = try await RawClient.connect(port: port, caFile: fixture.server.caFile)
        let reason = await raw.connection.closeReason
        guard case .application(1, _, byPeer: true) = reason else {
            Issue.record("expected close code 1, got \(reason)")
            return
        }
        await raw.close()
        await server.stop()
    }

    @Test("a client id over 256 bytes (a Go client sets no limit) is refused with code 1 and a reason that gives its length")
    func overlongClientID() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration())
        let raw = try await RawClient.connect(port: port, caFile: fixture.server.caFile)
        _ = try? await raw.register(String(repeating: "g", count: 300))
        let reason = await raw.connection.closeReason
        guard case .application(1, let why, byPeer: true) = reason else {
            Issue.record("expected close code 1, got \(reason)")
            return
        }
        #expect(why.contains("the client id is 300 bytes; QuicFlow takes 1 to 256 bytes"), "\(why)")
        #expect(await server.clients().isEmpty)
        await raw.close()
        await server.stop()
    }

    @Test("a first stream that is not a PING fails registration with code 1")
    func registrationMustBePing() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration())
        let raw = try await RawClient.connect(port: port, caFile: fixture.server.caFile)
        var data = DataMessage()
        data.msgID = "1"
        data.type = .event
        _ = try? await raw.exchange(try Frame.data(data))
        let reason = await raw.connection.closeReason
        guard case .application(1, _, byPeer: true) = reason else {
            Issue.record("expected close code 1, got \(reason)")
            return
        }
        #expect(await server.clients().isEmpty)
        await raw.close()
        await server.stop()
    }

    @Test("maxClients: one client too many is refused with code 4")
    func maxClients() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration(maxClients: 2))
        let a = try await fixture.connectClient(try fixture.clientConfiguration("a"), port: port)
        let b = try await fixture.connectClient(try fixture.clientConfiguration("b"), port: port)
        let error = await #expect(throws: QuicFlowError.self) {
            _ = try await fixture.connectClient(try fixture.clientConfiguration("c"), port: port)
        }
        #expect(error?.code == .registrationRefused)
        #expect(error?.message.contains("code 4") == true)
        #expect(await server.clients().map(\.clientID) == ["a", "b"])
        #expect(await refusals(server, "max_clients") == 1)
        await a.disconnect()
        await b.disconnect()
        await server.stop()
    }

    @Test("a duplicate client id supersedes the old session, which is closed with code 2")
    func supersede() async throws {
        let fixture = try Fixture()
        let (disconnects, disconnected) = AsyncStream.makeStream(of: DisconnectReason.self)
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration()) { server in
            var hooks = ServerEventHooks()
            hooks.onDisconnect = { _, reason in disconnected.yield(reason) }
            await server.setHooks(hooks)
        }
        let old = try await RawClient.connect(port: port, caFile: fixture.server.caFile)
        _ = try await old.register("twin")
        let new = try await fixture.connectClient(try fixture.clientConfiguration("twin"), port: port) { client in
            await client.register(for: .command) { _ in .success(text: "new session") }
        }
        #expect(await old.connection.closeReason == .application(code: 2, reason: "superseded by a newer session", byPeer: true))
        var iterator = disconnects.makeAsyncIterator()
        #expect(await iterator.next() == .superseded)
        #expect(await server.clients().map(\.clientID) == ["twin"])
        #expect(try await server.send(Message(type: .command, text: "who", waitAck: true), to: "twin") == .success(text: "new session"))
        await new.disconnect()
        await old.close()
        await server.stop()
    }

    @Test("mTLS: the client id must match the certificate (code 5); a match is accepted")
    func identityBinding() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration(requireClientCertificate: true))
        let certificate = try fixture.clientCertificate("device-77")
        let impostor = await #expect(throws: QuicFlowError.self) {
            _ = try await fixture.connectClient(try fixture.clientConfiguration("device-78", certificate: certificate), port: port)
        }
        #expect(impostor?.message.contains("code 5") == true)
        let honest = try await fixture.connectClient(try fixture.clientConfiguration("device-77", certificate: certificate), port: port)
        #expect(await server.clients().map(\.clientID) == ["device-77"])
        await honest.disconnect()
        await server.stop()
    }

    @Test("mTLS: a client id of the longest allowed length (256 bytes) is bound to its certificate")
    func longestIdentity() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration(requireClientCertificate: true))
        let id = String(repeating: "d", count: 256)
        let certificate = try fixture.authority.writeFiles(
            for: try fixture.authority.issue(commonName: id), in: fixture.directory, name: "longest")
        let client = try await fixture.connectClient(try fixture.clientConfiguration(id, certificate: certificate), port: port)
        #expect(await server.clients().map(\.clientID) == [id])
        await client.disconnect()
        await server.stop()
    }

    @Test("clients sharing one endpoint (one UDP socket) each register; one leaving does not end the others")
    func sharedEndpoint() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration())
        let configuration = try fixture.clientConfiguration("shared-0")
        let endpoint = try await QUICEndpoint.client(configuration: configuration.endpointConfiguration)
        var clients: [BackboneClient] = []
        for index in 0..<3 {
            let client = BackboneClient(configuration: try fixture.clientConfiguration("shared-\(index)"), endpoint: endpoint)
            await client.register(for: .command) { _ in .success(text: "shared-\(index)") }
            try await client.connect(host: "127.0.0.1", port: port, serverName: "localhost")
            clients.append(client)
        }
        #expect(await Set(server.clients().map(\.remoteAddress)).count == 1, "one socket for all three")
        await clients[0].disconnect()
        for index in 1..<3 {
            #expect(try await server.send(Message(type: .command, text: "who", waitAck: true), to: "shared-\(index)").text == "shared-\(index)")
        }
        for client in clients.dropFirst() { await client.disconnect() }
        await endpoint.close()
        await server.stop()
    }

    @Test("the client reconnects with exponential backoff after the server restarts")
    func reconnectAfterRestart() async throws {
        let fixture = try Fixture()
        let (first, port) = try await fixture.startServer(try fixture.serverConfiguration(port: TestPorts.restartable()))
        let attempts = Mutex<[(Int, ContinuousClock.Instant)]>([])
        let (events, event) = AsyncStream.makeStream(of: String.self)
        let client = try await fixture.connectClient(
            try fixture.clientConfiguration(
                "roamer", initialBackoff: .milliseconds(100), maxBackoff: .seconds(2), jitter: 0,
                // Short, so failed attempts are quick; not so short that the first
                // handshake misses it while the parallel suite loads both cores.
                handshakeTimeout: .seconds(2)),
            port: port
        ) { client in
            var hooks = ClientEventHooks()
            hooks.onDisconnect = { _ in event.yield("disconnect") }
            hooks.onReconnect = { attempt in attempts.withLock { $0.append((attempt, .now)) } }
            hooks.onConnect = { event.yield("connect") }
            await client.setHooks(hooks)
        }
        var iterator = events.makeAsyncIterator()
        #expect(await iterator.next() == "connect")
        let lostAt = ContinuousClock.now
        await first.stop()
        #expect(await iterator.next() == "disconnect")
        // Let several attempts fail against the closed port, then restart.
        // Each attempt against the closed port may wait out its 2 s handshake timeout.
        try await eventually(timeout: .seconds(30), "four failed reconnect attempts") { attempts.withLock { $0.count } >= 4 }
        let (second, _) = try await fixture.startServer(try fixture.serverConfiguration(port: port))
        #expect(await iterator.next() == "connect")
        #expect(await client.state == .connected)
        #expect(await second.clients().map(\.clientID) == ["roamer"])

        // Delays double: 100, 200, 400, 800 ms (no jitter configured).
        let times = attempts.withLock { $0 }
        #expect(times.map(\.0).prefix(4) == [1, 2, 3, 4])
        var previous = lostAt
        for (index, (_, at)) in times.prefix(4).enumerated() {
            let nominal = Duration.milliseconds(100) * (1 << index)
            #expect(at - previous >= nominal, "attempt \(index + 1) came after \(at - previous), expected at least \(nominal)")
            previous = at
        }
        await client.disconnect()
        await second.stop()
    }

    @Test("stop closes clients with code 7 and fails waiting sends with a clear error")
    func stopFailsPromises() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration())
        let raw = try await RawClient.connect(port: port, caFile: fixture.server.caFile)
        _ = try await raw.register("never-answers")
        let waiting = Task {
            try await server.send(Message(type: .command, text: "x", waitAck: true, timeout: .seconds(30)), to: "never-answers")
        }
        try await eventually("the send to wait for its ACK") { await server.pendingAcknowledgements == 1 }
        await server.stop()
        let error = await #expect(throws: QuicFlowError.self) { try await waiting.value }
        #expect(error?.code == .shuttingDown)
        #expect(await raw.connection.closeReason == .application(code: 7, reason: "server shutting down", byPeer: true))
        await raw.close()
    }

    @Test("event hooks fire for connect, messages and disconnect")
    func hooks() async throws {
        let fixture = try Fixture()
        let log = Mutex<[String]>([])
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration()) { server in
            var hooks = ServerEventHooks()
            hooks.onConnect = { info in log.withLock { $0.append("connect \(info.clientID)") } }
            hooks.onMessageReceived = { m in log.withLock { $0.append("received \(m.text)") } }
            hooks.onMessageSent = { id, _ in log.withLock { $0.append("sent to \(id)") } }
            hooks.onBroadcast = { n in log.withLock { $0.append("broadcast \(n)") } }
            hooks.onDisconnect = { id, reason in log.withLock { $0.append("disconnect \(id) \(reason)") } }
            hooks.onPromiseTimeout = { id, _ in log.withLock { $0.append("promise timeout \(id)") } }
            await server.setHooks(hooks)
            await server.register(for: .event) { _ in .success() }
        }
        let clientLog = Mutex<[String]>([])
        let client = try await fixture.connectClient(try fixture.clientConfiguration("hooked"), port: port) { client in
            var hooks = ClientEventHooks()
            hooks.onConnect = { clientLog.withLock { $0.append("connect") } }
            hooks.onMessageReceived = { m in clientLog.withLock { $0.append("received \(m.text)") } }
            hooks.onMessageSent = { _ in clientLog.withLock { $0.append("sent") } }
            await client.setHooks(hooks)
            await client.register(for: .command) { _ in
                try await Task.sleep(for: .seconds(5))
                return .success()
            }
            await client.register(for: .event) { _ in .success() }
        }
        _ = try await client.send(Message(type: .event, text: "hello", waitAck: true))
        _ = try await server.send(Message(type: .event, text: "to you", waitAck: true), to: "hooked")
        _ = await server.broadcast(Message(type: .event, text: "all"))
        let timedOut = try await server.send(Message(type: .command, text: "slow", waitAck: true, timeout: .milliseconds(100)), to: "hooked")
        #expect(timedOut.status == .timeout)
        await client.disconnect()
        try await eventually("the disconnect hook") { log.withLock { $0.contains { $0.hasPrefix("disconnect") } } }
        let events = log.withLock { $0 }
        #expect(events.contains("connect hooked"))
        #expect(events.contains("received hello"))
        #expect(events.contains("sent to hooked"))
        #expect(events.contains("broadcast 1"))
        #expect(events.contains("promise timeout hooked"))
        #expect(events.contains("disconnect hooked closed by the client (code 0)"))
        let clientEvents = clientLog.withLock { $0 }
        #expect(clientEvents.contains("connect") && clientEvents.contains("sent") && clientEvents.contains("received to you"))
        await server.stop()
    }
}

@Suite("Errors and thresholds")
struct ErrorHookTests {
    @Test("a malformed frame from a registered client fires onError and resets only that stream")
    func protocolViolationFiresOnError() async throws {
        let fixture = try Fixture()
        let (errors, reported) = AsyncStream.makeStream(of: QuicFlowError.self)
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration()) { server in
            var hooks = ServerEventHooks()
            hooks.onError = { reported.yield($0) }
            await server.setHooks(hooks)
        }
        let raw = try await RawClient.connect(port: port, caFile: fixture.server.caFile)
        _ = try await raw.register("sloppy")
        // A length prefix of 0: PROTOCOL.md says reject it with error 6.
        let stream = try await raw.connection.openStream()
        try await stream.write(ByteBuffer(bytes: [0, 0, 0, 0]), finish: true)
        var iterator = errors.makeAsyncIterator()
        let error = try #require(await iterator.next())
        #expect(error.code == .protocolViolation)
        let reset = await #expect(throws: QUICError.self) { _ = try await stream.readAll(maxBytes: 10) }
        #expect(reset?.applicationErrorCode == 6)
        // The session itself goes on.
        #expect(try await raw.register("sloppy")?.type == .pong)
        #expect(await server.metrics().decodingErrors == 1)
        await raw.close()
        await server.stop()
    }
}

@Suite("Promise warning threshold")
struct PromiseWarningTests {
    @Test("crossing promiseWarnThreshold is counted (and logged) once per crossing")
    func warnThreshold() async throws {
        let fixture = try Fixture()
        let configuration = try ServerConfiguration(
            host: "127.0.0.1", port: 0, certificateFile: fixture.server.certificateFile, keyFile: fixture.server.keyFile,
            maxPromises: 10, promiseWarnThreshold: 2)
        let (server, port) = try await fixture.startServer(configuration)
        let raw = try await RawClient.connect(port: port, caFile: fixture.server.caFile)
        _ = try await raw.register("slow")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    _ = try await server.send(Message(type: .command, text: "x", waitAck: true, timeout: .milliseconds(300)), to: "slow")
                }
            }
            try await eventually("three awaited acknowledgements") { await server.pendingAcknowledgements == 3 }
            try await group.waitForAll()
        }
        #expect(await server.promiseWarnings == 1)
        #expect(await server.pendingAcknowledgements == 0)
        await raw.close()
        await server.stop()
    }
}
