import Foundation
import QuicFlow
import QuicFlowAgent
import Testing

extension AgentExecutableTests {
    @Suite("quicflow-agent: send and outbox without a running agent")
    struct AgentCLISendTests {
        @Test("send commits the message whether or not the agent runs: --payload, --payload-file and stdin, in order")
        func sendCommits() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            try fixture.writeConfig(port: 9)
            let file = fixture.path("payload.bin")
            let binary: [UInt8] = [0, 1, 2, 255, 10, 13]
            _ = FileManager.default.createFile(atPath: file, contents: Data(binary))

            let first = try await fixture.cli(["send", "--type", "event", "--payload", "hello; $(rm -rf /)"])
            let second = try await fixture.cli(["send", "--type", "query", "--payload-file", file])
            let third = try await fixture.cli(["send", "--type", "response"], stdin: Array("from stdin".utf8))
            for run in [first, second, third] {
                #expect(run.status == 0, "\(run.stderr)")
            }
            let rows = try await fixture.outbox().list()
            #expect(rows.map(\.msgID) == [first, second, third].map { $0.output.trimmingCharacters(in: .newlines) })
            #expect(rows.map(\.type) == [.event, .query, .response])
            #expect(rows.map(\.payload) == [Array("hello; $(rm -rf /)".utf8), binary, Array("from stdin".utf8)])
            #expect(rows.allSatisfy { $0.state == .pending })
        }

        @Test("a full outbox refuses send with exit 3 and keeps what it had; bad input is refused clearly")
        func refusals() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            try fixture.writeConfig(port: 9, extra: "[outbox]\nmax_messages = 2")
            for i in 0..<2 {
                let run = try await fixture.cli(["send", "--type", "event", "--payload", "e\(i)"])
                #expect(run.status == 0, "\(run.stderr)")
            }
            let full = try await fixture.cli(["send", "--type", "event", "--payload", "one too many"])
            #expect(full.status == 3)
            #expect(full.stderr.contains("full"))
            #expect(full.stderr.contains("max_messages"))
            let outbox = try fixture.outbox()
            #expect(try await outbox.list().map(\.text) == ["e0", "e1"])
            // The refusal is counted, and `status` says so.
            #expect(try await outbox.state()[.outboxFullRefusals] == "1")

            let badType = try await fixture.cli(["send", "--type", "telegram", "--payload", "x"])
            #expect(badType.status == 64)
            #expect(badType.stderr.contains("telegram"))

            let huge = fixture.path("huge.bin")
            _ = FileManager.default.createFile(atPath: huge, contents: Data(count: 2 << 20))
            _ = try await outbox.purge(state: .pending)
            let tooBig = try await fixture.cli(["send", "--type", "event", "--payload-file", huge])
            #expect(tooBig.status == 1)
            #expect(tooBig.stderr.contains("\(2 << 20) bytes"))
            let missingFile = try await fixture.cli(["send", "--type", "event", "--payload-file", fixture.path("nope")])
            #expect(missingFile.status == 1)
            #expect(missingFile.stderr.contains("nope"))
            #expect(try await outbox.counts().total == 0)
        }

        @Test("concurrent senders are safe: 8 processes × 5 sends give 40 distinct rows")
        func concurrentSenders() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            try fixture.writeConfig(port: 9)
            let failures = try await withThrowingTaskGroup(of: [String].self) { group in
                for sender in 0..<8 {
                    group.addTask {
                        var failures: [String] = []
                        for i in 0..<5 {
                            let run = try await fixture.cli(["send", "--type", "event", "--payload", "s\(sender)-\(i)"])
                            if run.status != 0 { failures.append(run.stderr) }
                        }
                        return failures
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(failures.isEmpty, "\(failures)")
            let rows = try await fixture.outbox().list(limit: 1_000)
            #expect(rows.count == 40)
            #expect(Set(rows.map(\.text)) == Set((0..<8).flatMap { s in (0..<5).map { "s\(s)-\($0)" } }))
            #expect(Set(rows.map(\.msgID)).count == 40)
            // Each sender's own messages keep their order.
            for sender in 0..<8 {
                let mine = rows.map(\.text).filter { $0.hasPrefix("s\(sender)-") }
                #expect(mine == (0..<5).map { "s\(sender)-\($0)" })
            }
        }

        @Test("outbox list, retry and purge; status works before the agent ever ran")
        func outboxCommands() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            try fixture.writeConfig(port: 9)
            let before = try await fixture.status()
            #expect(before.connectionState == "never started")
            #expect(before.agentRunning == false)
            #expect(before.pending == 0)

            let outbox = try fixture.outbox()
            let rows = try await outbox.enqueueBatch((0..<3).map { Message(type: .event, text: "m\($0)") })
            let claimed = try await outbox.nextBatch(limit: 2)
            for row in claimed { try await outbox.markDead(id: row.id, error: "max_attempts reached") }

            let dead = try await fixture.cli(["outbox", "list", "--state", "dead"])
            #expect(dead.status == 0)
            #expect(dead.output.split(separator: "\n").count == 2)
            #expect(dead.output.contains(rows[0].msgID) && dead.output.contains("max_attempts reached"))
            #expect(!dead.output.contains(rows[2].msgID))
            let status = try await fixture.status()
            #expect((status.pending, status.dead) == (1, 2))
            #expect(status.oldestPendingAgeSeconds != nil)
            let text = try await fixture.cli(["status"])
            #expect(text.output.contains("1 pending, 0 in flight, 2 dead"))

            let retry = try await fixture.cli(["outbox", "retry"])
            #expect(retry.output.contains("2 dead message(s) queued again"))
            #expect(try await outbox.counts() == OutboxCounts(pending: 3))

            let refused = try await fixture.cli(["outbox", "purge", "--state", "pending"])
            #expect(refused.status == 64)
            #expect(try await outbox.counts().pending == 3)
            let purged = try await fixture.cli(["outbox", "purge", "--state", "pending", "--force"])
            #expect(purged.output.contains("3 pending message(s) purged"))
            #expect(try await outbox.counts().total == 0)
        }
    }
}
