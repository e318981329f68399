import Foundation
import QUICTestSupport
import NIOCore
import QuicFlow
@testable import QuicFlowAgent
import Testing
import QuicFlowHooks
#if canImport(Glibc)
import Glibc
#endif

extension AgentExecutableTests {
    /// The built `quicflow-agent run` and the processes its handlers leave.
    @Suite("quicflow-agent: processes handlers leave behind")
    struct HandlerLeftoverAgentTests {
        /// A named command, as the backbone sends it.
        static func command(_ name: String, id: String, timeout: Duration = .seconds(20)) -> Message {
            var message = Message(
                type: .command, text: #"{"command_type": "\#(name)", "payload": ""}"#, waitAck: true, timeout: timeout)
            message.msgID = id
            return message
        }

        /// The pids `leftovers.sh` wrote to `path`: the handler's and the
        /// process it left.
        static func pids(_ path: String) throws -> (handler: pid_t, child: pid_t) {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let numbers = text.split(whereSeparator: \.isWhitespace).compactMap { pid_t($0) }
            try #require(numbers.count == 2, "pid file: \(text)")
            return (numbers[0], numbers[1])
        }

        @Test("a process the handler moved to a session of its own (setsid) is ended when the handler exits; with kill_leftovers = false it is kept, also through later runs")
        func setsidEscapee() async throws {
            #if os(Linux)
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            let server = try await fixture.startServer()
            let port = try #require(await server.localAddress?.port)
            let escapePIDs = fixture.path("escape.pids")
            let keepPIDs = fixture.path("keep.pids")
            try fixture.writeConfig(port: port, extra: """
                [commands.escape]
                exec = "\(fixture.handlers)/leftovers.sh"
                env = { PID_FILE = "\(escapePIDs)", MODE = "setsid" }
                [commands.keep]
                exec = "\(fixture.handlers)/leftovers.sh"
                env = { PID_FILE = "\(keepPIDs)", MODE = "setsid" }
                kill_leftovers = false
                """)
            let agent = try fixture.startAgent()
            try await eventually(timeout: .seconds(30), "the agent to register") {
                await server.clients().map(\.clientID) == ["cli-agent"]
            }

            let escaped = try await server.send(Self.command("escape", id: "escape-1"), to: "cli-agent")
            #expect(escaped == .success(text: "left\n"))
            let (_, escapee) = try Self.pids(escapePIDs)
            defer { HandlerLeftoverTests.cleanUp(escapee) }
            #expect(HandlerFixtures.hasEnded(escapee), "the setsid process \(escapee) outlived its handler\n\(agent.log)")
            do {
                try await eventually("the agent to log it") {
                    agent.log.contains("ended 1 process that handlers had moved out of their process groups")
                }
            } catch {
                Issue.record("the agent's log:\n\(agent.log)")
                throw error
            }

            // Kept: it left the handler's session and is now the agent's child
            // (the agent is a subreaper), which still reaps it once it ends.
            let kept = try await server.send(Self.command("keep", id: "keep-1"), to: "cli-agent")
            #expect(kept == .success(text: "left\n"))
            let (_, keeper) = try Self.pids(keepPIDs)
            defer { HandlerLeftoverTests.cleanUp(keeper) }
            #expect(!HandlerFixtures.hasEnded(keeper))
            let entry = try #require(ProcessTable.entry(keeper))
            #expect(entry.session == keeper)
            #expect(entry.parent == agent.pid)

            // A later run that kills its leftovers must not end the kept one;
            // nor, since nothing tells whose it is, its own setsid process.
            try FileManager.default.removeItem(atPath: escapePIDs)
            let again = try await server.send(Self.command("escape", id: "escape-2"), to: "cli-agent")
            #expect(again == .success(text: "left\n"))
            let (_, secondEscapee) = try Self.pids(escapePIDs)
            defer { HandlerLeftoverTests.cleanUp(secondEscapee) }
            #expect(!HandlerFixtures.hasEnded(keeper), "a kept process was ended by another handler's run\n\(agent.log)")
            #expect(!HandlerFixtures.hasEnded(secondEscapee))

            kill(keeper, SIGKILL)
            kill(secondEscapee, SIGKILL)
            try await eventually(timeout: .seconds(30), "the agent to reap the processes it adopted") {
                ProcessTable.entry(keeper) == nil && ProcessTable.entry(secondEscapee) == nil
            }

            agent.send(SIGTERM)
            #expect(await agent.exited() == .exited(0))
            await server.stop()
            #endif
        }

        @Test("after kill -9 of the agent, the handler's group outlives it; the restarted agent ends the group and names it in its log")
        func crashedAgentsHandlersAreEnded() async throws {
            #if os(Linux)
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            let server = try await fixture.startServer()
            let port = try #require(await server.localAddress?.port)
            let pidFile = fixture.path("stuck.pids")
            let executable = "\(fixture.handlers)/leftovers.sh"
            try fixture.writeConfig(port: port, extra: """
                [commands.stuck]
                exec = "\(executable)"
                timeout = "10m"
                env = { PID_FILE = "\(pidFile)", STAY = "1" }
                """)

            let first = try fixture.startAgent(log: "first.log")
            try await eventually(timeout: .seconds(30), "the agent to register") {
                await server.clients().map(\.clientID) == ["cli-agent"]
            }
            let stuck = Task { try? await server.send(Self.command("stuck", id: "stuck-1", timeout: .seconds(2)), to: "cli-agent") }
            try await eventually(timeout: .seconds(30), "the handler to start") { FileManager.default.fileExists(atPath: pidFile) }
            let (handler, child) = try Self.pids(pidFile)
            defer {
                HandlerLeftoverTests.cleanUp(child)
                HandlerLeftoverTests.cleanUp(handler)
            }
            let outbox = try fixture.outbox()
            defer { try? outbox.close() }
            try await eventually(timeout: .seconds(30), "the handler's group to be recorded") {
                try await outbox.recordedGroups().map(\.pgid) == [handler]
            }

            first.send(SIGKILL)
            #expect(await first.exited() == .signalled(SIGKILL))
            _ = await stuck.value
            #expect(!HandlerFixtures.hasEnded(handler), "the handler did not outlive the killed agent")
            #expect(!HandlerFixtures.hasEnded(child))

            let second = try fixture.startAgent(log: "second.log")
            try await eventually(timeout: .seconds(30), "the restarted agent to end the group") {
                HandlerFixtures.hasEnded(handler) && HandlerFixtures.hasEnded(child)
            }
            try await eventually(timeout: .seconds(30), "the restarted agent to log it") {
                second.log.contains(
                    "ended handler process group \(handler) (\(executable)), left running by the previous agent: 2 processes")
            }
            #expect(try await outbox.recordedGroups().isEmpty)

            second.send(SIGTERM)
            #expect(await second.exited() == .exited(0))
            await server.stop()
            #endif
        }
    }
}
