import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowAgent
import Testing

extension AgentExecutableTests {
    /// A damaged outbox is found at start and named; `outbox salvage` saves
    /// what can be read.
    @Suite("quicflow-agent: a corrupt outbox", .timeLimit(.minutes(1)))
    struct AgentOutboxCorruptionTests {
        @Test("a corrupt page: run and status refuse, naming the file; salvage saves the readable rows and counts the lost")
        func corruptPage() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            try fixture.writeConfig(port: TestPorts.restartable())
            let path = fixture.dataDirectory + "/outbox.sqlite"
            do {
                let outbox = try fixture.outbox()
                // 1 KiB payloads: about four rows per 4 KiB page, so one page is a few rows.
                try await outbox.enqueueBatch((0..<200).map { Message(type: .event, payload: [UInt8](repeating: UInt8($0 % 251), count: 1_000)) })
                try outbox.close()
            }
            // Closed: the WAL is checkpointed into the file, so the file holds every row.
            let walSize = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
            #expect(walSize == 0)
            // Scribble over one page in the middle of the table.
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seek(toOffset: 30 * 4_096)
            try handle.write(contentsOf: Data(repeating: 0xA5, count: 4_096))
            try handle.close()

            let status = try await fixture.cli(["status"])
            #expect(status.status != 0, "\(status.output)")
            #expect(status.stderr.contains("the outbox \(path) is corrupt"), "\(status.stderr)")
            #expect(status.stderr.contains("quicflow-agent outbox salvage"))
            #expect(!status.stderr.contains("disk space"), "the wrong hint: \(status.stderr)")
            let agent = try fixture.startAgent()
            #expect(await agent.exited() != .exited(0))
            #expect(agent.log.contains("is corrupt"), "\(agent.log)")
            #expect(agent.log.components(separatedBy: "is corrupt").count <= 3, "said once, not forever: \(agent.log)")

            let salvage = try await fixture.cli(["outbox", "salvage"])
            #expect(salvage.status == 0, "\(salvage.stderr)")
            let numbers = salvage.output.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            #expect(salvage.output.hasPrefix("saved "), "\(salvage.output)")
            let saved = numbers.first ?? -1
            let lost = numbers.dropFirst().first ?? -1
            #expect(saved + lost == 200, "\(salvage.output)")
            #expect(saved >= 150 && lost >= 1, "one page holds a few rows: \(salvage.output)")
            let after = try await fixture.status()
            #expect(after.pending == saved)
            #expect(salvage.output.contains(".corrupt-"))
        }
    }
}
