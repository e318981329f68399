import Foundation
import Logging
import QUICTestSupport
import QuicFlow
import QuicFlowAgent
import QuicFlowServerApp
import ServiceLifecycle
import Testing
import QuicFlowHooks

/// A device message is acknowledged SUCCESS only when the application (the
/// on-message hook) took it: otherwise the device keeps it and sends it
/// again after its backoff, and the server handles the repeat again.
@Suite("On-message hook failures", .timeLimit(.minutes(1)))
struct HookFailureTests {
    /// Fails (exit 1) until `ready` exists; logs every run's msg_id.
    struct FlakyHook {
        let log: String
        let ready: String
        let configuration: HandlerConfiguration

        init(in directory: String) throws {
            log = directory + "/hook.log"
            ready = directory + "/ready"
            let path = directory + "/hook.sh"
            try """
                #!/bin/sh
                cat > /dev/null
                printf '%s\\n' "$QUICFLOW_MSG_ID" >> "\(log)"
                [ -e "\(ready)" ] || { echo "the application is down" >&2; exit 1; }
                printf 'taken'
                """.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
            configuration = try HandlerConfiguration(executable: path)
        }

        var runs: [String] {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
    }

    @Test("a failing hook is answered FAILURE with its reason, and a repeat runs the hook again until it succeeds", arguments: [true, false])
    func failureIsNotRemembered(persistent: Bool) async throws {
        let harness = try ServerHarness()
        let hook = try FlakyHook(in: harness.directory)
        let server = try await harness.start(hook: hook.configuration, persistent: persistent)
        let device = try await harness.device("device-h")
        try await harness.connect(device)
        var event = Message(type: .event, text: "reading", waitAck: true, timeout: .seconds(10))
        event.msgID = "flaky-1"

        let first = try await device.send(event)
        #expect(first.status == .failure)
        #expect(first.error.contains("on-message hook did not take the message"), "\(first.error)")
        #expect(first.error.contains("the application is down"), "\(first.error)")
        let again = try await device.send(event)
        #expect(again.status == .failure)
        #expect(hook.runs == ["flaky-1", "flaky-1"], "a failed answer is not replayed: the repeat ran the hook")

        #expect(FileManager.default.createFile(atPath: hook.ready, contents: nil))
        #expect(try await device.send(event) == .success())
        // Now it is taken, and a repeat is answered without running the hook again.
        #expect(try await device.send(event) == .success())
        #expect(hook.runs == ["flaky-1", "flaky-1", "flaky-1"])
        await device.disconnect()
        try await server.stop()
    }

    @Test("the agent keeps an event the hook refused, retries it on its backoff, and lets it go once the hook takes it")
    func agentKeepsRefusedEvent() async throws {
        let harness = try ServerHarness()
        let hook = try FlakyHook(in: harness.directory)
        let server = try await harness.start(hook: hook.configuration)
        let configuration = try AgentConfiguration(toml: """
            [agent]
            client_id = "agent-h"
            data_dir = "\(harness.directory)/agent"
            [server]
            address = "127.0.0.1:\(harness.quicPort)"
            server_name = "localhost"
            ca_file = "\(harness.files.caFile)"
            [reconnect]
            initial_backoff = "200ms"
            max_backoff = "400ms"
            jitter = 0
            """)
        let agent = try AgentService(configuration: configuration)
        let group = ServiceGroup(configuration: .init(services: [agent], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        let outbox = agent.outboxStore
        let sent = try await outbox.enqueue(type: .event, payload: Array("reading".utf8))
        // Two refusals show the retry; a loaded two-core machine can take seconds per attempt.
        try await eventually(timeout: .seconds(30), "two refused attempts") { hook.runs.count >= 2 }
        let waiting = try await outbox.lookup(msgID: sent.msgID)
        guard case .queued(let row) = waiting else {
            Issue.record("the refused event left the outbox: \(waiting)")
            return
        }
        #expect(row.lastStatus == .failure)
        #expect(row.lastError?.contains("the application is down") == true)
        #expect(try await outbox.history().isEmpty)

        #expect(FileManager.default.createFile(atPath: hook.ready, contents: nil))
        try await eventually("the event to be taken") { try await outbox.counts().total == 0 }
        let history = try await outbox.history()
        #expect(history.map(\.status) == [.success])
        #expect(hook.runs.allSatisfy { $0 == sent.msgID })
        await group.triggerGracefulShutdown()
        try await running.value
        try await server.stop()
    }
}
