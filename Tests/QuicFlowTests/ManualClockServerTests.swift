import NIOCore
import QUICTestSupport
import QUICTransport
@testable import QuicFlow
import QuicFlowTime
import Synchronization
import Testing

/// Time-based behaviour of the server and the client on an injected manual
/// clock: exact boundaries, no real-time waits for the timing itself.
@Suite("Manual clock: eviction, reconnect backoff", .timeLimit(.minutes(1)))
struct ManualClockServerTests {
    @Test("eviction: a client silent for exactly the heartbeat timeout stays; one sweep later it is closed with code 3, a client that spoke stays")
    func evictionBoundary() async throws {
        let fixture = try Fixture()
        let clock = ManualClock()
        let server = BackboneServer(
            configuration: try fixture.serverConfiguration(heartbeatTimeout: .seconds(3)), clock: clock)
        let (timeouts, timedOut) = AsyncStream.makeStream(of: String.self)
        var hooks = ServerEventHooks()
        hooks.onHeartbeatTimeout = { timedOut.yield($0) }
        await server.setHooks(hooks)
        try await server.start()
        let port = try #require(await server.localAddress?.port)
        let mute = try await RawClient.connect(port: port, caFile: fixture.server.caFile)
        _ = try await mute.register("mute")
        let talker = try await RawClient.connect(port: port, caFile: fixture.server.caFile)
        _ = try await talker.register("talker")
        // Only the sweep sleeps once both registration timers are cancelled.
        try await clock.waitForSleepers(1)
        // The sweep runs every 750 ms (a quarter of the timeout): at 3.0 s
        // "mute" has been silent exactly the timeout, which is still allowed.
        for _ in 0..<4 {
            clock.advance(by: .milliseconds(750))
            try await clock.waitForSleepers(1)
        }
        #expect(await server.clients().map(\.clientID) == ["mute", "talker"])
        _ = try await talker.register("talker")  // a heartbeat, heard at 3.0 s
        clock.advance(by: .milliseconds(750))
        try await clock.waitForSleepers(1)
        #expect(await server.clients().map(\.clientID) == ["talker"])
        #expect(await collect(1, from: timeouts, within: .seconds(10)) == ["mute"])
        #expect(await mute.connection.closeReason == .application(code: 3, reason: "nothing heard for 3.0 seconds", byPeer: true))
        await mute.close()
        await talker.close()
        await server.stop()
    }

    @Test("reconnect: each wait is the backoff's, doubling within its jitter up to the maximum, and no attempt comes before its wait is over")
    func reconnectBackoff() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration())
        let clock = ManualClock()
        let configuration = try fixture.clientConfiguration(
            "backoff", initialBackoff: .milliseconds(100), maxBackoff: .milliseconds(800), jitter: 0.2,
            heartbeatInterval: .seconds(3_600), handshakeTimeout: .milliseconds(1_500))
        let client = BackboneClient(configuration: configuration, clock: clock)
        let scheduled = Mutex<[(attempt: Int, delay: Duration)]>([])
        let attempts = Atomic<Int>(0)
        var hooks = ClientEventHooks()
        hooks.onReconnectScheduled = { attempt, delay in scheduled.withLock { $0.append((attempt, delay)) } }
        hooks.onReconnect = { _ in attempts.add(1, ordering: .relaxed) }
        await client.setHooks(hooks)
        try await client.connect(host: "127.0.0.1", port: port, serverName: "localhost")
        await server.stop()

        // 100 ms doubling to the 800 ms maximum, each ±20%.
        let nominal: [Duration] = [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(800), .milliseconds(800)]
        for attempt in 1...5 {
            // Bounded: a client that never schedules fails here in seconds.
            try await eventually("reconnect attempt \(attempt) to be scheduled") {
                scheduled.withLock { $0.count >= attempt }
            }
            let next = scheduled.withLock { $0[attempt - 1] }
            #expect(next.attempt == attempt)
            let expected = nominal[attempt - 1]
            #expect(next.delay >= expected * 0.8, "attempt \(attempt): \(next.delay)")
            #expect(next.delay <= min(expected * 1.2, .milliseconds(800)), "attempt \(attempt): \(next.delay)")
            // The client waits on the clock: nothing is tried until it moves.
            try await clock.waitForSleepers(1)
            #expect(attempts.load(ordering: .relaxed) == attempt - 1)
            clock.advance(by: next.delay - .milliseconds(1))
            #expect(clock.sleeperCount == 1, "still waiting 1 ms before the end of its backoff")
            clock.advance(by: .milliseconds(1))
        }
        await client.disconnect()
    }
}

/// The dispatcher's handler timeout on the injected clock.
@Suite("Manual clock: handler timeout", .timeLimit(.minutes(1)))
struct ManualClockDispatcherTests {
    @Test("a handler running for exactly less than its timeout is waited for; at the timeout it is answered TIMEOUT and cancelled")
    func handlerTimeout() async throws {
        let clock = ManualClock()
        let dispatcher = Dispatcher(workers: 1, queueSize: 1, handlerTimeout: .seconds(5), clock: ElapsedClock(clock))
        let cancelled = Atomic<Bool>(false)
        let handler = ClosureMessageHandler { _ in
            await withTaskCancellationHandler {
                // Runs until cancelled, as a stuck handler would.
                let (never, _) = AsyncStream.makeStream(of: Void.self)
                for await _ in never {}
            } onCancel: {
                cancelled.store(true, ordering: .relaxed)
            }
            return .success(text: "too late")
        }
        let message = IncomingMessage(msgID: "slow", senderID: "d", type: .command, payload: [], timestamp: 0)
        let answer = Task { await dispatcher.dispatch(message, to: handler) }
        try await clock.waitForSleepers(1)
        clock.advance(by: .seconds(5) - .milliseconds(1))
        #expect(clock.sleeperCount == 1, "still within the timeout")
        let cancelledEarly = cancelled.load(ordering: .relaxed)
        #expect(!cancelledEarly)
        clock.advance(by: .milliseconds(1))
        let response = await answer.value
        #expect(response.status == .timeout)
        #expect(response.error.contains("within 5.0 seconds"), "\(response.error)")
        try await eventually("the handler to be cancelled") { cancelled.load(ordering: .relaxed) }
    }
}
