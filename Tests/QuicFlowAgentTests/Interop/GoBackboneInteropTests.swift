import Foundation
import Logging
import QUICTestSupport
import QuicFlow
import QuicFlowAgent
import ServiceLifecycle
import Testing
import QuicFlowHooks
#if canImport(Glibc)
import Glibc
import QuicFlowTime
#endif

/// The agent against a backbone that behaves as the Go QuicFlow original
/// was measured to (GoPeer/go_backbone.py, on aioquic).
@Suite("Agent against a Go-like backbone", .timeLimit(.minutes(3)))
struct GoBackboneInteropTests {
    /// Certificates, handler scripts, the peer and an in-process agent.
    struct Setup {
        let directory: String
        let files: CertificateFiles
        let fixtures: HandlerFixtures
        let peer: GoBackbonePeer

        init(prefix: String, peerArguments: [String] = []) async throws {
            (directory, files) = try AgentServerFiles.make(prefix: prefix)
            fixtures = try HandlerFixtures()
            peer = try await GoBackbonePeer(certificateFile: files.certificateFile, keyFile: files.keyFile, arguments: peerArguments)
        }

        func configuration(clientID: String, extra: String = "") throws -> AgentConfiguration {
            try AgentConfiguration(toml: """
                [agent]
                client_id = "\(clientID)"
                data_dir = "\(directory)/data"
                [server]
                address = "127.0.0.1:\(peer.port)"
                server_name = "localhost"
                ca_file = "\(files.caFile)"
                \(extra)
                """)
        }

        func finish() async {
            await peer.stop()
            fixtures.remove()
        }
    }

    /// Runs `body` with a fresh setup and always stops its peer.
    static func with(_ prefix: String, peerArguments: [String] = [], _ body: (Setup) async throws -> Void) async throws {
        let setup = try await Setup(prefix: prefix, peerArguments: peerArguments)
        do {
            try await body(setup)
        } catch {
            await setup.finish()
            throw error
        }
        await setup.finish()
    }

    /// Runs `agent` in a service group until `body` returns, then stops it
    /// gracefully; returns how long the graceful stop took.
    @discardableResult
    static func running(_ agent: AgentService, _ body: () async throws -> Void) async throws -> Duration {
        let group = ServiceGroup(configuration: .init(services: [agent], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        do {
            try await body()
        } catch {
            await group.triggerGracefulShutdown()
            try? await running.value
            throw error
        }
        let stopping = ContinuousClock.now
        await group.triggerGracefulShutdown()
        try await running.value
        return ContinuousClock.now - stopping
    }

    @Test("a command the backbone does not FIN reaches [commands.NAME] and [handlers.command]; results come back; nothing is left running at shutdown")
    func commandsWithoutFIN() async throws {
        try await Self.with("go-commands") { setup in
            let agent = try AgentService(
                configuration: try setup.configuration(clientID: "go-agent-1", extra: """
                    [handlers.command]
                    exec = "\(setup.fixtures.path("echo-env.sh"))"
                    [commands.reboot]
                    exec = "\(setup.fixtures.path("echo-env.sh"))"
                    args = ["now"]
                    """),
                shutdownTimeout: .seconds(60))
            let peer = setup.peer
            let shutdown = try await Self.running(agent) {
                try await peer.next("registered") { $0["client"] == "go-agent-1" }
                // The Go command manager's envelope, routed to [commands.reboot].
                try peer.command(client: "go-agent-1", msgID: "go-cmd-1", payload: #"{"command_type":"reboot","payload":{"delay":5}}"#)
                let named = try await peer.next("ack") { $0["msg_id"] == "go-cmd-1" }
                #expect(named["status"] == "SUCCESS", "\(peer.log)")
                #expect(named["result"]?.contains("args=now") == true)
                #expect(named["result"]?.contains("command=reboot") == true)
                #expect(named["result"]?.hasSuffix(#"payload={"delay":5}"#) == true)

                try peer.command(client: "go-agent-1", msgID: "go-cmd-2", payload: "hello")
                let plain = try await peer.next("ack") { $0["msg_id"] == "go-cmd-2" }
                #expect(plain["status"] == "SUCCESS")
                #expect(plain["result"]?.contains("command=<unset>") == true)
                #expect(plain["result"]?.hasSuffix("payload=hello") == true)
                #expect(peer.events("ack_timeout").isEmpty && peer.events("ack_stream_ended").filter { $0["reason"] != "fin" }.isEmpty)
                let runs = try await agent.outboxStore.recentHandlerRuns()
                #expect(runs.map(\.status) == [.success, .success])
            }
            // Both handlers finished and answered: the stop does not wait out the 60 s.
            #expect(shutdown < .seconds(15), "graceful shutdown took \(shutdown)")
        }
    }

    @Test("20 events answered with DATA/RESPONSE leave the outbox, each sent once, the response as their result")
    func eventsAnsweredWithResponse() async throws {
        try await Self.with("go-response") { setup in
            let agent = try AgentService(configuration: try setup.configuration(clientID: "go-agent-2"))
            let peer = setup.peer
            let outbox = agent.outboxStore
            try await Self.running(agent) {
                try await peer.next("registered")
                let sent = try await outbox.enqueueBatch((0..<20).map { Message(type: .event, text: #"{"command_type":"report.status","payload":{"n":\#($0)}}"#) })
                try await eventually(timeout: .seconds(30), "the outbox to empty") { try await outbox.counts().total == 0 }
                let data = peer.events("data")
                #expect(data.count == 20, "\(peer.log)")
                #expect(Set(data.compactMap { $0["msg_id"] }) == Set(sent.map(\.msgID)))
                #expect(data.allSatisfy { $0["attempt"] == "1" && $0["answer"] == "response" })
                let history = try await outbox.history()
                #expect(history.count == 20)
                for entry in history {
                    #expect(entry.status == .success)
                    #expect(String(decoding: entry.result, as: UTF8.self).contains(#""msg_id":"\#(entry.msgID)""#))
                }
            }
        }
    }

    @Test("20 events answered with nothing stay in the outbox and are retried on the backoff schedule, never faster")
    func unansweredEventsBackOff() async throws {
        try await Self.with("go-nothing") { setup in
            let backoff = Backoff(initial: .seconds(1), maximum: .seconds(4), jitter: 0.2)
            let agent = try AgentService(configuration: try setup.configuration(clientID: "go-agent-3", extra: """
                [reconnect]
                initial_backoff = "1s"
                max_backoff = "4s"
                jitter = 0.2
                """))
            let peer = setup.peer
            let outbox = agent.outboxStore
            try peer.answer("nothing")
            let window: Duration = .seconds(9)
            try await Self.running(agent) {
                try await peer.next("registered")
                try await outbox.enqueueBatch((0..<20).map { Message(type: .event, text: "not json \($0)") })
                try await peer.next("data")
                // A fixed observation window: the backoff, not an event, decides what happens in it.
                try await Task.sleep(for: window)
                let attempts = Dictionary(grouping: peer.events("data"), by: { $0["msg_id"] ?? "" })
                let total = attempts.values.reduce(0) { $0 + $1.count }
                print("unanswered events: \(total) attempts of 20 messages in \(window): \(attempts.values.map(\.count).sorted())")
                #expect(attempts.count == 20)
                // Nominal schedule 0, 1, 3, 7 s; jitter (±20%) allows at most 5 tries in 9 s.
                #expect(total <= 20 * 5, "\(total) attempts in \(window)")
                #expect(attempts.values.allSatisfy { $0.count >= 3 }, "every message is retried: \(attempts.values.map(\.count))")
                for (msgID, tries) in attempts {
                    let times = tries.map(\.time).sorted()
                    for n in 1..<times.count {
                        let gap = times[n] - times[n - 1]
                        let shortest = backoff.shortestDelay(attempt: n)
                        let seconds = Double(shortest.components.seconds) + Double(shortest.components.attoseconds) / 1e18
                        #expect(gap >= seconds, "\(msgID): attempt \(n + 1) came \(gap) s after attempt \(n); the backoff allows no less than \(seconds) s")
                    }
                }
                let counts = try await outbox.counts()
                #expect(counts.pending + counts.inFlight == 20, "nothing left the outbox without an answer")
                #expect(try await outbox.history().isEmpty)
                let retries = try await outbox.retries()
                #expect(retries.messages == 20)
                #expect((retries.worst?.attempts ?? 0) >= 3)
                #expect(retries.worst?.lastError.contains("unanswered") == true)
                // What an operator sees: `quicflow-agent status`, as text and as JSON.
                let status = try await AgentStatus.read(configuration: agent.configuration, outbox: outbox)
                #expect(status.retrying == 20)
                #expect((status.mostRetried?.attempts ?? 0) >= 3)
                #expect(status.text().contains("retrying:"), "\(status.text())")
                let json = String(decoding: try JSONEncoder().encode(status), as: UTF8.self)
                #expect(json.contains("\"most_retried\""), "\(json)")

                // The backbone answers again: everything leaves, each one once more.
                try peer.answer("response")
                try await eventually(timeout: .seconds(30), "the outbox to empty") { try await outbox.counts().total == 0 }
                #expect(try await outbox.history().count == 20)
            }
        }
    }

    @Test("a QSSH stream is reset and logged for what it is; the session stays up and keeps working")
    func sshStreamReset() async throws {
        try await Self.with("go-qssh") { setup in
            let logs = RecordingLogHandler.Store()
            let agent = try AgentService(
                configuration: try setup.configuration(clientID: "go-agent-4", extra: """
                    [handlers.command]
                    exec = "\(setup.fixtures.path("echo-env.sh"))"
                    """),
                logger: RecordingLogHandler.logger("agent", into: logs))
            let peer = setup.peer
            try await Self.running(agent) {
                try await peer.next("registered")
                try peer.openSSHStream(client: "go-agent-4")
                let reset = try await peer.next("qssh_reset")
                #expect(reset["code"] == "6")
                try peer.command(client: "go-agent-4", msgID: "after-ssh", payload: "still here")
                let ack = try await peer.next("ack") { $0["msg_id"] == "after-ssh" }
                #expect(ack["status"] == "SUCCESS")
                #expect(peer.events("registered").count == 1, "no reconnect: \(peer.log)")
                #expect(peer.events("released").isEmpty)
                let notes = logs.all.map(\.message).filter { $0.contains("does not carry") }
                #expect(notes.count == 1, "\(logs.all.map(\.message))")
                #expect(notes.first?.contains("an SSH stream (QSSH header, version 1, type 1)") == true, "\(notes)")
                #expect(!logs.all.contains { $0.message.localizedCaseInsensitiveContains("protocol violation") })
            }
        }
    }

    @Test("the default heartbeat keeps the agent registered for 60 s against PING-only liveness checked against 15 s")
    func defaultHeartbeatKeepsRegistration() async throws {
        try await Self.with("go-heartbeat") { setup in
            let agent = try AgentService(configuration: try setup.configuration(clientID: "go-agent-5"))
            #expect(agent.configuration.warnings.isEmpty)
            let peer = setup.peer
            try await Self.running(agent) {
                try await peer.next("registered")
                // A fixed window: what must not happen (an eviction) has no event to await.
                try await Task.sleep(for: .seconds(60))
                #expect(peer.events("evicted").isEmpty, "\(peer.log)")
                #expect(peer.events("released").isEmpty)
                #expect(peer.events("registered").count == 1)
                #expect(peer.events("ping").count >= 3)
            }
        }
    }

    @Test("after a kill -9 the backbone still holds the id: code-1 refusals, paced by the backoff, end in a registration once it lets go")
    func refusedUntilReleased() async throws {
        let fixture = try AgentCLIFixture(clientID: "go-agent-6")
        defer { fixture.remove() }
        // The Go original releases the id when the dead session idles out (60 s); 4 s here.
        let peer = try await GoBackbonePeer(
            certificateFile: fixture.files.certificateFile, keyFile: fixture.files.keyFile, arguments: ["--idle-timeout", "4"])
        do {
            try fixture.writeConfig(port: peer.port, extra: "")
            let first = try fixture.startAgent(log: "first.log")
            try await peer.next("registered") { $0["client"] == "go-agent-6" }
            first.send(SIGKILL)
            #expect(await first.exited() == .signalled(SIGKILL))

            let second = try fixture.startAgent(log: "second.log")
            try await peer.next("refused") { $0["client"] == "go-agent-6" }
            let released = try await peer.next("released") { $0["client"] == "go-agent-6" }
            let again = try await peer.next("registered") { $0["client"] == "go-agent-6" && $0.time > released.time }
            let refusals = peer.events("refused", client: "go-agent-6")
            #expect(refusals.allSatisfy { $0["reason"] == "failed to create session" })
            #expect(refusals.allSatisfy { $0.time < again.time })
            // Each refusal is one connection attempt: they follow the [reconnect] backoff (100 ms doubling to 400 ms, ±20%).
            let backoff = Backoff(initial: .milliseconds(100), maximum: .milliseconds(400), jitter: 0.2)
            let times = refusals.map(\.time) + [again.time]
            for n in 1..<times.count {
                let shortest = backoff.shortestDelay(attempt: n)
                let seconds = Double(shortest.components.seconds) + Double(shortest.components.attoseconds) / 1e18
                #expect(times[n] - times[n - 1] >= seconds, "attempt \(n + 1) came \(times[n] - times[n - 1]) s after attempt \(n)")
            }
            print("kill -9 against the Go-like backbone: \(refusals.count) refusals, registered \(again.time - refusals[0].time) s after the first")
            try await eventually(timeout: .seconds(30), "status to say connected") { try await fixture.status().connectionState == "connected" }
            #expect(second.log.contains("the backbone still holds this client id"), "\(second.log)")
            second.send(SIGTERM)
            #expect(await second.exited() == .exited(0))
        } catch {
            await peer.stop()
            throw error
        }
        await peer.stop()
    }

}
