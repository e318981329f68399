import Foundation
import Logging
import QUICTestSupport
import QuicFlow
import QuicFlowAgent
import ServiceLifecycle
import Testing

@Suite("Agent service: expiry", .timeLimit(.minutes(1)))
struct AgentExpiryTests {
    @Test("max_age makes messages dead while the backbone is unreachable; they are kept, not dropped")
    func expiresWhileDisconnected() async throws {
        let (directory, files) = try AgentServerFiles.make(prefix: "agent-expiry")
        // Nothing listens there: the agent never gets a session.
        let port = TestPorts.restartable()
        let configuration = try AgentConfiguration(toml: """
            [agent]
            client_id = "agent-expiry"
            data_dir = "\(directory)/data"
            [server]
            address = "127.0.0.1:\(port)"
            server_name = "localhost"
            ca_file = "\(files.caFile)"
            [heartbeat]
            timeout = "1s"
            [outbox]
            max_age = "1s"
            """)
        // Both clocks move by hand: max_age is judged by the wall clock, and
        // the expiry schedule sleeps on the monotonic one.
        let wall = ManualWallClock()
        let clock = ManualClock()
        let agent = try AgentService(configuration: configuration, clock: clock, wallClock: wall.clock)
        let outbox = agent.outboxStore
        let old = try await outbox.enqueueBatch((0..<3).map { Message(type: .event, text: "old \($0)") })
        let group = ServiceGroup(configuration: .init(services: [agent], logger: Logger(label: "test")))
        let running = Task { try await group.run() }

        // A second and a bit on the wall: past max_age, however the schedule ticks.
        wall.advance(by: .milliseconds(1_001))
        try await eventually("the old messages to become dead on the next tick of the schedule") {
            clock.advance(by: .seconds(1))
            return try await outbox.counts().dead == 3
        }
        let status = try await AgentStatus.read(configuration: configuration, outbox: outbox)
        #expect(status.connectionState == "connecting", "never connected: \(status.connectionState)")
        let dead = try await outbox.list(state: .dead)
        #expect(Set(dead.map(\.msgID)) == Set(old.map(\.msgID)), "kept for inspection")
        #expect(dead.allSatisfy { $0.lastError?.contains("max_age") == true })
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
