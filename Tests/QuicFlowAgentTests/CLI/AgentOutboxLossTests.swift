import Foundation
import QUICTestSupport
import QuicFlowAgent
import Testing

extension AgentExecutableTests {
    /// An outbox that was truncated, deleted or swapped is refused, never
    /// silently replaced by a new, empty one.
    /// Serialized: each case starts a dozen processes, which would starve
    /// the timing-sensitive tests running beside them on two cores.
    @Suite("quicflow-agent: a lost outbox", .serialized, .timeLimit(.minutes(2)))
    struct AgentOutboxLossTests {
        /// Five messages queued with `send`; the agent never ran.
        static func fixtureWithFiveMessages() async throws -> AgentCLIFixture {
            let fixture = try AgentCLIFixture()
            try fixture.writeConfig(port: TestPorts.restartable())
            for index in 0..<5 {
                let sent = try await fixture.cli(["send", "--type", "event", "--payload", "m\(index)"])
                #expect(sent.status == 0, "\(sent.stderr)")
            }
            return fixture
        }

        @Test("truncated, deleted or replaced: run, status and send refuse, say what was lost and how to start over", arguments: ["truncated", "deleted", "replaced"])
        func refused(damage: String) async throws {
            let fixture = try await Self.fixtureWithFiveMessages()
            defer { fixture.remove() }
            let outbox = fixture.dataDirectory + "/outbox.sqlite"
            for file in [outbox + "-wal", outbox + "-shm"] { try? FileManager.default.removeItem(atPath: file) }
            let expected: String
            switch damage {
            case "truncated":
                try Data().write(to: URL(fileURLWithPath: outbox))  // `: > outbox.sqlite`
                expected = "is empty (0 bytes: truncated)"
            case "deleted":
                try FileManager.default.removeItem(atPath: outbox)
                expected = "is missing"
            default:
                try FileManager.default.removeItem(atPath: outbox)
                // Another database in its place (written by SQLite itself, as a mix-up would).
                let other = try await BuiltExecutable(path: "/usr/bin/sqlite3").run([outbox, "CREATE TABLE t (x);"])
                #expect(other.status == 0)
                expected = "holds no outbox identity"
            }
            let commands = damage == "truncated"
                ? [["status"], ["send", "--type", "event", "--payload", "more"], ["outbox", "list"]] : [["status"]]
            for command in commands {
                let run = try await fixture.cli(command)
                #expect(run.status != 0, "\(command) accepted a \(damage) outbox: \(run.output)")
                #expect(run.stderr.contains(expected), "\(command): \(run.stderr)")
                #expect(run.stderr.contains("5 pending"), "the last recorded count: \(run.stderr)")
                #expect(run.stderr.contains("quicflow-agent outbox reset"), "\(run.stderr)")
            }
            let agent = try fixture.startAgent()
            #expect(await agent.exited() != .exited(0), "\(agent.log)")
            #expect(agent.log.contains(expected), "\(agent.log)")

            // Starting over is explicit, and keeps the old file.
            let reset = try await fixture.cli(["outbox", "reset"])
            #expect(reset.status == 0, "\(reset.stderr)")
            #expect(reset.output.contains("new, empty outbox"))
            let status = try await fixture.status()
            #expect(status.pending == 0)
            let kept = try FileManager.default.contentsOfDirectory(atPath: fixture.dataDirectory).filter { $0.contains(".lost-") }
            #expect(kept.isEmpty == (damage == "deleted"), "\(kept)")
        }

        @Test("deleted or replaced while the agent runs: the agent stops (exit 1) within seconds, saying so, and a send refuses the missing file rather than start a new one", arguments: ["deleted", "replaced"])
        func lostWhileRunning(damage: String) async throws {
            let fixture = try await Self.fixtureWithFiveMessages()
            defer { fixture.remove() }
            let outbox = fixture.dataDirectory + "/outbox.sqlite"
            let agent = try fixture.startAgent()
            try await eventually("the agent to run") { agent.log.contains("cannot connect to the backbone") }
            if damage == "deleted" {
                try FileManager.default.removeItem(atPath: outbox)
            } else {
                // A copy renamed over it: same bytes, another file.
                try FileManager.default.copyItem(atPath: outbox, toPath: outbox + ".copy")
                #expect(rename(outbox + ".copy", outbox) == 0)
            }
            #expect(await agent.exited() == .exited(1), "\(agent.log)")
            #expect(agent.log.contains("was \(damage == "deleted" ? "deleted" : "replaced by another file") while the agent ran"), "\(agent.log)")
            #expect(agent.log.contains("quicflow-agent outbox reset"), "\(agent.log)")
            if damage == "deleted" {
                let send = try await fixture.cli(["send", "--type", "event", "--payload", "after"])
                #expect(send.status != 0, "\(send.output)")
                #expect(!FileManager.default.fileExists(atPath: outbox), "no new outbox behind the operator's back")
            }
        }

        @Test("an intact outbox opens as before, and its marker follows the counts")
        func intact() async throws {
            let fixture = try await Self.fixtureWithFiveMessages()
            defer { fixture.remove() }
            #expect(try await fixture.status().pending == 5)
            let marker = try String(contentsOfFile: fixture.dataDirectory + "/outbox.sqlite.identity", encoding: .utf8)
            #expect(marker.contains(#""pending":5"#), "\(marker)")
        }
    }
}
