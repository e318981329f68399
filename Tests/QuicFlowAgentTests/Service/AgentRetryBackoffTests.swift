import Foundation
import Logging
import QUICTestSupport
import QuicFlow
import QuicFlowAgent
import QuicFlowTime
import ServiceLifecycle
import Synchronization
import Testing

@Suite("Agent service: retry backoff on the manual clock", .timeLimit(.minutes(1)))
struct AgentRetryBackoffTests {
    @Test("a message the backbone refused goes again once its backoff has passed on the wall clock, not a moment before")
    func retryWaitsForItsBackoff() async throws {
        let (directory, files) = try AgentServerFiles.make(prefix: "agent-retry-clock")
        let (server, port) = try await AgentServerFiles.startedServer(files)
        let attempts = Mutex<[String: Int]>([:])
        await server.register(for: .event) { message in
            attempts.withLock { $0[message.text, default: 0] += 1 }
            return message.text == "refused" ? .failure("not now") : .success()
        }
        let configuration = try AgentConfiguration(toml: """
            [agent]
            client_id = "agent-retry"
            data_dir = "\(directory)/data"
            [server]
            address = "127.0.0.1:\(port)"
            server_name = "localhost"
            ca_file = "\(files.caFile)"
            [heartbeat]
            interval = "1h"
            timeout = "1h"
            [reconnect]
            initial_backoff = "10s"
            max_backoff = "40s"
            jitter = 0.2
            """)
        let wall = ManualWallClock()
        let clock = ManualClock()
        let agent = try AgentService(configuration: configuration, clock: clock, wallClock: wall.clock)
        let outbox = agent.outboxStore
        let refused = try await outbox.enqueue(type: .event, payload: Array("refused".utf8))
        let group = ServiceGroup(configuration: .init(services: [agent], logger: Logger(label: "test")))
        let running = Task { try await group.run() }

        // A first connect that fails under load waits out its backoff on the
        // manual clock: move it (only the wall clock judges the row's retry).
        try await eventually("the first attempt") {
            clock.advance(by: .seconds(1))
            return attempts.withLock { $0["refused"] } == 1
        }
        let backoff = configuration.reconnect.backoff
        try await eventually("the retry to be scheduled") {
            try await outbox.list(state: .pending).contains { $0.id == refused.id && $0.attempts == 1 }
        }
        let scheduled = try #require(try await outbox.list(state: .pending).first { $0.id == refused.id })
        let wait = Duration.milliseconds(scheduled.nextAttemptAt - wall.clock.unixMilliseconds())
        #expect(wait >= backoff.shortestDelay(attempt: 1), "due in \(wait), sooner than the backoff allows")
        #expect(wait <= backoff.nominalDelay(attempt: 1) * 1.2, "due in \(wait), later than the backoff's jitter allows")

        // A millisecond before it is due, a fresh message makes the loop take
        // a batch: the refused one must not be in it.
        wall.advance(by: wait - .milliseconds(1))
        _ = try await outbox.enqueue(type: .event, payload: Array("fresh".utf8))
        try await eventually("the fresh message delivered") { try await outbox.counts().pending == 1 }
        #expect(attempts.withLock { $0["refused"] } == 1, "sent again before its backoff had passed")

        // Once due, the delivery loop's next wake-up sends it.
        wall.advance(by: .milliseconds(1))
        try await eventually("the second attempt once due") {
            clock.advance(by: .milliseconds(500))
            return attempts.withLock { $0["refused"] } == 2
        }
        await group.triggerGracefulShutdown()
        try await running.value
        await server.stop()
    }
}
