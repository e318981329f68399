import Foundation
import NIOCore
import QUICTestSupport
import QuicFlow
import Testing

extension AgentExecutableTests {
    /// `Type=notify` with `WatchdogSec=`, against a stand-in for systemd's socket.
    @Suite("quicflow-agent: systemd readiness and watchdog", .timeLimit(.minutes(1)))
    struct AgentSystemdTests {
        @Test("READY=1 once the agent holds a session, WATCHDOG=1 while it runs, STOPPING=1 on SIGTERM, exit 0")
        func readyWatchdogStopping() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            let server = try await fixture.startServer()
            let port = try #require(await server.localAddress?.port)
            try fixture.writeConfig(port: port)
            let socket = try NotifySocket()
            let agent = try AgentProcess(
                config: fixture.configPath, logPath: fixture.path("agent.log"),
                environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000"])
            var notifications = socket.notifications.makeAsyncIterator()
            let ready = await notifications.next()
            #expect(ready == "READY=1\nSTATUS=connected to 127.0.0.1:\(port) as cli-agent", "\(ready ?? "nothing"): \(agent.log)")
            #expect(await server.clientInfo("cli-agent") != nil, "ready means registered")
            #expect(await notifications.next() == "WATCHDOG=1")
            #expect(await notifications.next() == "WATCHDOG=1")
            agent.send(SIGTERM)
            var last: String?
            while let next = await notifications.next() {
                last = next
                if next == "STOPPING=1" { break }
            }
            #expect(last == "STOPPING=1")
            #expect(await agent.exited() == .exited(0), "\(agent.log)")
            socket.close()
            await server.stop()
        }

        @Test("without a reachable backbone the agent still reports READY=1 after its first attempt, saying it retries, so systemd does not kill a device that has no network yet; --log-format json logs the failure at warning with a millisecond retry_in")
        func readyWhileRetrying() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            try fixture.writeConfig(port: TestPorts.restartable())
            let socket = try NotifySocket()
            let agent = try AgentProcess(
                config: fixture.configPath, logPath: fixture.path("agent.log"), extraArguments: ["--log-format", "json"],
                environment: ["NOTIFY_SOCKET": socket.path])
            var notifications = socket.notifications.makeAsyncIterator()
            let ready = await notifications.next()
            #expect(ready?.hasPrefix("READY=1\nSTATUS=connecting to 127.0.0.1:") == true, "\(ready ?? "nothing")")
            #expect(ready?.contains("retrying") == true, "\(ready ?? "nothing")")
            agent.send(SIGTERM)
            #expect(await notifications.next() == "STOPPING=1")
            #expect(await agent.exited() == .exited(0), "\(agent.log)")
            let lines = agent.log.split(separator: "\n").map {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]
            }
            #expect(!lines.isEmpty && lines.allSatisfy { $0 != nil }, "one JSON object per line: \(agent.log)")
            let failure = lines.compactMap { $0 }.first { $0["message"] == "cannot connect to the backbone" }
            #expect(failure?["level"] == "warning", "\(agent.log)")
            #expect(failure?["retry_in"]?.wholeMatch(of: #/\d+ms|\d+(\.\d{1,3})?s/#) != nil, "\(failure ?? [:])")
            socket.close()
        }
    }
}
