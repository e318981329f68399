import Foundation
import NIOCore
import NIOPosix
import QUICTestSupport
import QuicFlow
import QuicFlowAgent
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
import QuicFlowTime
#endif

extension AgentExecutableTests {
    /// The built `quicflow-agent run` against a real BackboneServer.
    @Suite("quicflow-agent: the daemon")
    struct AgentDaemonTests {
        @Test("send --wait, status while connected, disconnected and stopped, one agent per data_dir, graceful SIGTERM")
        func lifecycle() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            let disconnects = Mutex<[DisconnectReason]>([])
            let serverSetup: @Sendable (BackboneServer) async -> Void = { server in
                await server.register(for: .query) { message in .success(text: "pong:" + message.text) }
                await server.register(for: .command) { _ in .failure("nope, not today") }
                var hooks = ServerEventHooks()
                hooks.onDisconnect = { _, reason in disconnects.withLock { $0.append(reason) } }
                await server.setHooks(hooks)
            }
            let server = try await fixture.startServer(port: TestPorts.restartable(), configure: serverSetup)
            let port = try #require(await server.localAddress?.port)
            let handlerLog = fixture.path("handler.log")
            try fixture.writeConfig(port: port, extra: """
                [handlers.command]
                exec = "\(fixture.handlers)/slow-command.sh"
                env = { LOG_FILE = "\(handlerLog)", SLEEP = "1" }
                """)

            let agent = try fixture.startAgent()
            try await eventually(timeout: .seconds(30), "the agent to register") { await server.clients().map(\.clientID) == ["cli-agent"] }
            try await eventually(timeout: .seconds(30), "status to say connected") { try await fixture.status().connectionState == "connected" }
            let connected = try await fixture.status()
            #expect(connected.agentRunning)
            #expect(connected.agentPID == agent.pid)
            #expect(connected.connectedSince != nil)
            #expect(connected.serverAddress == "127.0.0.1:\(port)")
            #expect(connected.clientID == "cli-agent")

            // One agent per data directory.
            let second = try await fixture.cli(["run"])
            #expect(second.status == 1)
            #expect(second.stderr.contains("already running"))
            #expect(second.stderr.contains("pid \(agent.pid)"))

            // --wait prints the server's result; the exit status follows the ACK.
            let query = try await fixture.cli(["send", "--type", "query", "--payload", "ping", "--wait"])
            #expect(query.status == 0, "\(query.stderr)\n\(agent.log)")
            #expect(query.output == "pong:ping")
            #expect(query.stderr.contains("success"))
            let refused = try await fixture.cli(["send", "--type", "command", "--payload", "x", "--wait", "--json"])
            #expect(refused.status == 1)
            let answer = try JSONSerialization.jsonObject(with: Data(refused.stdout)) as? [String: String]
            #expect(answer?["status"] == "failure")
            #expect(answer?["error"] == "nope, not today")

            // A server command runs the handler; status lists the run.
            let job = try await server.send(Message(type: .command, text: "job-1", waitAck: true), to: "cli-agent")
            #expect(job == .success(text: "done job-1"))
            let afterJob = try await fixture.status()
            #expect(afterJob.recentHandlerRuns.first?.name == "command")
            #expect(afterJob.recentHandlerRuns.first?.status == "success")
            #expect((afterJob.recentHandlerRuns.first?.durationMilliseconds ?? 0) >= 900)
            #expect(afterJob.lastDeliveryAt != nil)

            // The server goes away: status shows the error and the next retry.
            await server.stop()
            try await eventually(timeout: .seconds(30), "status to show the reconnect schedule") {
                let status = try await fixture.status()
                return status.connectionState == "connecting" && status.nextRetryAt != nil && status.reconnectAttempts >= 1
            }
            let down = try await fixture.status()
            #expect(down.lastError != nil)
            #expect(down.connectedSince == nil)
            let downText = try await fixture.cli(["status"])
            #expect(downText.output.contains("next retry:"))
            #expect(downText.output.contains("last error:"))

            // Back again.
            let again = try await fixture.startServer(port: port, configure: serverSetup)
            try await eventually(timeout: .seconds(30), "the agent to reconnect") { try await fixture.status().connectionState == "connected" }
            try await eventually(timeout: .seconds(30), "the server to list the agent") { await again.clients().map(\.clientID) == ["cli-agent"] }

            // SIGTERM while a handler runs: it finishes, its result is returned,
            // the session closes with code 0 and the agent exits 0.
            let lastJob = Task {
                try await again.send(Message(type: .command, text: "job-2", waitAck: true, timeout: .seconds(10)), to: "cli-agent")
            }
            try await eventually(timeout: .seconds(30), "the handler to start") {
                (try? String(contentsOfFile: handlerLog, encoding: .utf8))?.split(separator: "\n").count == 3
            }
            disconnects.withLock { $0.removeAll() }
            agent.send(SIGTERM)
            #expect(try await lastJob.value == .success(text: "done job-2"))
            #expect(await agent.exited() == .exited(0), "\(agent.log)")
            try await eventually(timeout: .seconds(30), "the server to see the session end") { disconnects.withLock { !$0.isEmpty } }
            #expect(disconnects.withLock { $0 } == [.closedByClient(code: 0)])

            let stopped = try await fixture.status()
            #expect(!stopped.agentRunning)
            #expect(stopped.connectionState == "stopped")
            await again.stop()
        }

        @Test("100 events sent with the CLI while the server is down arrive exactly once and in order")
        func serverDown() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            let received = Mutex<[String]>([])
            let recordEvents: @Sendable (BackboneServer) async -> Void = { server in
                await server.register(for: .event) { message in
                    received.withLock { $0.append(message.text) }
                    return .success()
                }
            }
            let first = try await fixture.startServer(port: TestPorts.restartable(), configure: recordEvents)
            let port = try #require(await first.localAddress?.port)
            try fixture.writeConfig(port: port, extra: "[outbox]\nin_flight = 1\nreplay_rate = 1000")
            let agent = try fixture.startAgent()
            try await eventually(timeout: .seconds(30), "the agent to register") { await first.clients().map(\.clientID) == ["cli-agent"] }
            await first.stop()

            for i in 0..<100 {
                let run = try await fixture.cli(["send", "--type", "event", "--payload", "event \(i)"])
                try #require(run.status == 0, "\(run.stderr)")
            }
            let second = try await fixture.startServer(port: port, configure: recordEvents)
            try await eventually(timeout: .seconds(30), "all 100 events") { received.withLock { $0.count } >= 100 }
            let outbox = try fixture.outbox()
            try await eventually(timeout: .seconds(30), "the outbox to empty") { try await outbox.counts().total == 0 }
            #expect(received.withLock { $0 } == (0..<100).map { "event \($0)" })
            #expect(try await fixture.status().lastDeliveryAt != nil)

            agent.send(SIGTERM)
            #expect(await agent.exited() == .exited(0))
            await second.stop()
        }

        @Test("kill -9 during delivery, with what was handed to QUIC lost on the way: after a restart every message is handled exactly once")
        func killDuringDelivery() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            let received = Mutex<[String]>([])
            let server = try await fixture.startServer { server in
                await server.register(for: .event) { message in
                    received.withLock { $0.append(message.text) }
                    try? await Task.sleep(for: .milliseconds(2))
                    return .success()
                }
            }
            let port = try #require(await server.localAddress?.port)
            // Through a proxy that drops everything just before the kill: on
            // bare loopback every byte handed to QUIC arrives before the
            // kill, so an agent that let rows go before their ACK lost nothing.
            let proxy = try await UDPFaultProxy.start(
                upstream: try SocketAddress(ipAddress: "127.0.0.1", port: port), configuration: .passthrough,
                group: MultiThreadedEventLoopGroup.singleton)
            let proxyPort = try #require(proxy.localAddress.port)
            try fixture.writeConfig(port: proxyPort, extra: "[outbox]\nin_flight = 8\nreplay_rate = 100000")
            let outbox = try fixture.outbox()
            let total = 400
            try await outbox.enqueueBatch((0..<total).map { Message(type: .event, text: "m\($0)") })

            let first = try fixture.startAgent(log: "first.log")
            try await eventually(timeout: .seconds(30), "deliveries to be under way") { received.withLock { $0.count } >= 40 }
            let before = proxy.statistics.clientToServer.dropped
            proxy.setBlackHole(true)
            try await eventually("the agent's datagrams to fall into the hole") {
                proxy.statistics.clientToServer.dropped > before
            }
            first.send(SIGKILL)
            #expect(await first.exited() == .signalled(SIGKILL))
            let atKill = received.withLock { $0.count }
            let left = try await outbox.counts()
            #expect(left.total > 0, "the kill came too late to test anything")
            #expect(try await fixture.status().connectionState == "stopped")

            proxy.setBlackHole(false)
            let second = try fixture.startAgent(log: "second.log")
            try await eventually(timeout: .seconds(30), "every message") { try await outbox.counts().total == 0 }
            let all = received.withLock { $0 }
            let missing = Set((0..<total).map { "m\($0)" }).subtracting(all)
            #expect(missing.isEmpty, "\(missing.count) lost, e.g. \(missing.sorted().prefix(5))")
            #expect(all.count == total, "\(all.count) handled, \(atKill) before the kill")
            second.send(SIGTERM)
            #expect(await second.exited() == .exited(0))
            await server.stop()
            try await proxy.stop()
        }

        @Test("kill -9 during a handler run: a repeat is answered as interrupted, a finished command is answered from the store, nothing runs twice")
        func killDuringHandler() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            let server = try await fixture.startServer()
            let port = try #require(await server.localAddress?.port)
            let slowLog = fixture.path("slow.log")
            let quickLog = fixture.path("quick.log")
            try fixture.writeConfig(port: port, extra: """
                [commands.slow]
                exec = "\(fixture.handlers)/slow-command.sh"
                env = { LOG_FILE = "\(slowLog)", SLEEP = "30" }
                [commands.quick]
                exec = "\(fixture.handlers)/slow-command.sh"
                env = { LOG_FILE = "\(quickLog)", SLEEP = "0" }
                """)
            func command(_ name: String, id: String, timeout: Duration = .seconds(10)) -> Message {
                var message = Message(
                    type: .command, text: #"{"command_type": "\#(name)", "payload": "\#(id)"}"#, waitAck: true, timeout: timeout)
                message.msgID = id
                return message
            }

            let first = try fixture.startAgent(log: "first.log")
            try await eventually(timeout: .seconds(30), "the agent to register") { await server.clients().map(\.clientID) == ["cli-agent"] }
            let quick = try await server.send(command("quick", id: "cmd-quick"), to: "cli-agent")
            #expect(quick == .success(text: "done cmd-quick"))
            let interrupted = Task { try await server.send(command("slow", id: "cmd-slow", timeout: .seconds(2)), to: "cli-agent") }
            try await eventually(timeout: .seconds(30), "the slow handler to start") {
                (try? String(contentsOfFile: slowLog, encoding: .utf8))?.hasPrefix("start ") == true
            }
            first.send(SIGKILL)
            #expect(await first.exited() == .signalled(SIGKILL))
            _ = try? await interrupted.value
            // The handler's process group outlived the agent; end it.
            let line = try String(contentsOfFile: slowLog, encoding: .utf8)
            if let group = Int32(line.dropFirst("start ".count).prefix { $0.isNumber }) {
                kill(-group, SIGKILL)
            }

            let restartedAt = WallClock.system.unixMilliseconds()
            let second = try fixture.startAgent(log: "second.log")
            // The killed agent's session may still be listed until the new one
            // replaces it: wait for a session that began after the restart.
            try await eventually(timeout: .seconds(30), "the agent to register again") {
                (await server.clientInfo("cli-agent")?.connectedAt ?? 0) >= restartedAt
            }
            try await eventually(timeout: .seconds(30), "status to say connected") {
                try await fixture.status().connectionState == "connected"
            }
            let repeatSlow = try await server.send(command("slow", id: "cmd-slow"), to: "cli-agent")
            #expect(repeatSlow.status == .failure)
            #expect(repeatSlow.error.contains("interrupted"))
            let repeatQuick = try await server.send(command("quick", id: "cmd-quick"), to: "cli-agent")
            #expect(repeatQuick == quick)
            let starts = { (path: String) in
                ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").filter { $0.hasPrefix("start") }.count
            }
            #expect(starts(slowLog) == 1)
            #expect(starts(quickLog) == 1)
            second.send(SIGTERM)
            #expect(await second.exited() == .exited(0))
            await server.stop()
        }

        @Test("the backlog after a reconnect is replayed at replay_rate")
        func replayPacing() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            let arrivals = Mutex<[ContinuousClock.Instant]>([])
            let server = try await fixture.startServer { server in
                await server.register(for: .event) { _ in
                    arrivals.withLock { $0.append(.now) }
                    return .success()
                }
            }
            let port = try #require(await server.localAddress?.port)
            try fixture.writeConfig(port: port, extra: "[outbox]\nreplay_rate = 20\nin_flight = 4")
            let outbox = try fixture.outbox()
            try await outbox.enqueueBatch((0..<21).map { Message(type: .event, text: "backlog \($0)") })

            let agent = try fixture.startAgent()
            try await eventually(timeout: .seconds(30), "the backlog") { arrivals.withLock { $0.count } >= 21 }
            let times = arrivals.withLock { $0 }
            // 20 gaps at 20 per second: at least a second, whatever the machine's speed.
            #expect(times.last! - times.first! >= .milliseconds(950))
            agent.send(SIGTERM)
            #expect(await agent.exited() == .exited(0))
            await server.stop()
        }
    }
}
