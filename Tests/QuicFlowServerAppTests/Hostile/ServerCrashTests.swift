import Foundation
import NIOCore
import NIOPosix
import Logging
import QUICTestSupport
import QuicFlow
import QuicFlowCtl
import QuicFlowAgent
import ServiceLifecycle
import Testing

@Suite("quicflow-server killed with 200 agents connected", .timeLimit(.minutes(3)))
struct ServerCrashTests {
    @Test("kill -9 of the server with messages in flight, then a restart: all 200 agents back within their backoff, every outbox message handled, none twice unless flagged redelivered, an answered message whose ACK was lost not handled again")
    func killNine() async throws {
        let harness = try ServerHarness()
        // The on-message hook is the application: one line per message it is
        // handed, "SENDER REDELIVERED PAYLOAD".
        let received = harness.directory + "/received.log"
        let hook = harness.directory + "/record.sh"
        try """
            #!/bin/sh
            printf '%s %s %s\\n' "$QUICFLOW_SENDER_ID" "$QUICFLOW_REDELIVERED" "$(cat)" >> "\(received)"
            """.write(toFile: hook, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook)
        let tables = """
            [hooks]
            on_message = "\(hook)"
            """
        // As deployed: the store (and the answers it remembers) on disk.
        let dataDir = "data_dir = \"\(harness.dataDirectory)\""
        var server = try await ServerProcess.start(harness, server: dataDir, tables: tables)
        // agent-0 reaches the server through a proxy that can lose the server's answers.
        let proxy = try await UDPFaultProxy.start(
            upstream: try SocketAddress(ipAddress: "127.0.0.1", port: harness.quicPort), configuration: .passthrough,
            group: MultiThreadedEventLoopGroup.singleton)

        let agents = 200
        var outboxes: [Outbox] = []
        var services: [any Service] = []
        for index in 0..<agents {
            let port = index == 0 ? proxy.localAddress.port! : harness.quicPort
            let configuration = try AgentConfiguration(toml: """
                [agent]
                client_id = "agent-\(index)"
                data_dir = "\(harness.directory)/agent-\(index)"
                [server]
                address = "127.0.0.1:\(port)"
                server_name = "localhost"
                ca_file = "\(harness.files.caFile)"
                [reconnect]
                initial_backoff = "250ms"
                max_backoff = "2s"
                jitter = 0.2
                [heartbeat]
                interval = "1s"
                timeout = "3s"
                [outbox]
                in_flight = 4
                """)
            services.append(try AgentService(configuration: configuration, logger: Logger(label: "agent") { _ in SwiftLogNoOpLogHandler() }))
            outboxes.append(try Outbox(path: configuration.outboxPath))
        }
        let group = ServiceGroup(configuration: .init(services: services, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await group.run() }
        @Sendable func connected(_ admin: AdminClient) async -> Int {
            let reply = try? await admin.request("GET", "/v1/clients")
            return (reply.flatMap { try? JSONSerialization.jsonObject(with: Data($0.body)) as? [Any] })?.count ?? 0
        }
        let firstAdmin = server.admin
        try await eventually(timeout: .seconds(60), "all agents to register") { await connected(firstAdmin) == agents }

        /// Each hook run as (payload, redelivered).
        @Sendable func runs() -> [(payload: String, redelivered: Bool)] {
            ((try? String(contentsOfFile: received, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { line in
                let fields = line.split(separator: " ", maxSplits: 2)
                guard fields.count == 3 else { return nil }
                return (String(fields[2]), fields[1] == "1")
            }
        }
        for (index, outbox) in outboxes.enumerated() {
            for n in 0..<2 { try await outbox.enqueue(type: .event, payload: Array("agent-\(index) before-\(n)".utf8)) }
        }
        try await eventually(timeout: .seconds(60), "the first 400 events to reach the hook") { runs().count >= 2 * agents }
        for outbox in outboxes {
            try await eventually(timeout: .seconds(30), "every ACK to reach its agent") { try await outbox.counts().total == 0 }
        }

        // Handled and answered, but the ACK never reaches agent-0.
        let remembered = try await server.metric("quicflow_remembered_answers")
        #expect(remembered == Double(2 * agents))
        proxy.setBlackHoleToClients(true)
        try await outboxes[0].enqueue(type: .event, payload: Array("agent-0 ack-lost".utf8))
        let stillServer = server
        try await eventually(timeout: .seconds(10), "the server to record its answer") {
            try await stillServer.metric("quicflow_remembered_answers") == remembered + 1
        }
        #expect(try await outboxes[0].counts().total == 1, "agent-0 still waits for the ACK")

        // Traffic in flight at the kill: killed once half of it reached the hook.
        for (index, outbox) in outboxes.enumerated() {
            for n in 0..<2 { try await outbox.enqueue(type: .event, payload: Array("agent-\(index) at-kill-\(n)".utf8)) }
        }
        try await eventually(timeout: .seconds(60), "half the in-flight events to reach the hook") {
            runs().count >= 2 * agents + 1 + agents
        }
        server.kill()
        proxy.setBlackHoleToClients(false)
        // While the server is dead every agent keeps writing to its outbox.
        for (index, outbox) in outboxes.enumerated() {
            for n in 0..<3 { try await outbox.enqueue(type: .event, payload: Array("agent-\(index) during-\(n)".utf8)) }
        }
        let restarted = ContinuousClock.now
        server = try await ServerProcess.start(harness, server: dataDir, tables: tables)
        let secondAdmin = server.admin
        try await eventually(timeout: .seconds(30), "all agents to come back") { await connected(secondAdmin) == agents }
        let allBack = ContinuousClock.now - restarted
        for outbox in outboxes {
            try await eventually(timeout: .seconds(60), "every outbox to empty") { try await outbox.counts().total == 0 }
        }

        var firstRuns: [String: Int] = [:]
        var redeliveries: [String: Int] = [:]
        for run in runs() {
            if run.redelivered { redeliveries[run.payload, default: 0] += 1 } else { firstRuns[run.payload, default: 0] += 1 }
        }
        var expected: Set<String> = ["agent-0 ack-lost"]
        var inFlight: Set<String> = []
        for index in 0..<agents {
            for n in 0..<2 { expected.insert("agent-\(index) before-\(n)") }
            for n in 0..<2 { inFlight.insert("agent-\(index) at-kill-\(n)") }
            for n in 0..<3 { expected.insert("agent-\(index) during-\(n)") }
        }
        let handled = Set(firstRuns.keys).union(redeliveries.keys)
        #expect(handled == expected.union(inFlight), "missing \(expected.union(inFlight).subtracting(handled).prefix(5))")
        // Nothing outside the kill's reach is handled twice or flagged, the
        // lost-ACK message included: its repeat was answered from the store.
        for payload in expected {
            #expect(firstRuns[payload] == 1 && redeliveries[payload] == nil, "\(payload): \(firstRuns[payload] ?? 0) + \(redeliveries[payload] ?? 0) redelivered")
        }
        // In flight at the kill: at most one unflagged run; a second run only
        // as a redelivery (the kill cut its first run short).
        let twice = inFlight.filter { (firstRuns[$0] ?? 0) + (redeliveries[$0] ?? 0) > 1 }
        for payload in inFlight {
            #expect((firstRuns[payload] ?? 0) <= 1 && (redeliveries[payload] ?? 0) <= 1, "\(payload) handled \(firstRuns[payload] ?? 0) + \(redeliveries[payload] ?? 0) times")
        }
        let fromStore = try await server.metric("quicflow_repeats_answered_from_store_total")
        #expect(fromStore >= 1, "at least agent-0's lost ACK")
        let redelivered = try await server.metric("quicflow_messages_redelivered_total")
        #expect(Double(redeliveries.values.reduce(0, +)) <= redelivered)
        // max_backoff 2 s + 20% jitter, plus the server's start and 200 handshakes.
        #expect(allBack < .seconds(8), "all back after \(allBack)")
        print("kill -9: all \(agents) agents back \(allBack) after the restart began; \(runs().count) hook runs for \(expected.count + inFlight.count) events; of the \(inFlight.count) in flight at the kill \(Int(redelivered)) were redelivered (flagged) and \(twice.count) of those ran twice; \(Int(fromStore)) repeats answered from the store, agent-0's lost ACK included")

        await group.triggerGracefulShutdown()
        try await running.value
        server.stop()
        try await proxy.stop()
    }
}
