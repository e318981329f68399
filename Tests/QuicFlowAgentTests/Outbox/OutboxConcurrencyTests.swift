import QuicFlow
import QuicFlowAgent
import Testing

@Suite("Outbox concurrency")
struct OutboxConcurrencyTests {
    @Test("8 tasks enqueueing at once lose and duplicate nothing")
    func eightTasks() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.db"))
        let perTask = 50
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<perTask {
                        try await outbox.enqueue(type: .event, payload: Array("\(task)-\(index)".utf8))
                    }
                }
            }
            try await group.waitForAll()
        }
        try await expectComplete(outbox, writers: 8, perWriter: perTask)
    }

    @Test("two Outbox instances on one file (two connections) lose and duplicate nothing")
    func twoInstances() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("outbox.db")
        let instances = [try Outbox(path: path), try Outbox(path: path)]
        let perWriter = 60
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                let outbox = instances[writer % 2]
                group.addTask {
                    for index in 0..<perWriter {
                        if index % 10 == 0 {
                            // Mix in group commits: they take the same lock.
                            try await outbox.enqueueBatch([Message(type: .event, text: "\(writer)-\(index)")])
                        } else {
                            try await outbox.enqueue(type: .event, payload: Array("\(writer)-\(index)".utf8))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        try await expectComplete(instances[0], writers: 4, perWriter: perWriter)
    }

    @Test("the max_messages limit holds across two instances racing for the last slots")
    func limitAcrossInstances() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("outbox.db")
        let instances = [try Outbox(path: path, maxMessages: 25), try Outbox(path: path, maxMessages: 25)]
        let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
            for writer in 0..<4 {
                let outbox = instances[writer % 2]
                group.addTask {
                    var accepted = 0
                    for _ in 0..<20 {
                        do {
                            try await outbox.enqueue(type: .event, payload: [UInt8(writer)])
                            accepted += 1
                        } catch let error as AgentError where error.code == .outboxFull {
                            continue
                        }
                    }
                    return accepted
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(accepted == 25)
        #expect(try await instances[1].counts().total == 25)
    }

    private func expectComplete(_ outbox: Outbox, writers: Int, perWriter: Int) async throws {
        let rows = try await outbox.list(limit: 100_000)
        let texts = rows.map(\.text)
        #expect(rows.count == writers * perWriter)
        #expect(Set(texts).count == texts.count, "no duplicates")
        #expect(Set(rows.map(\.msgID)).count == rows.count)
        #expect(Set(texts) == Set((0..<writers).flatMap { writer in (0..<perWriter).map { "\(writer)-\($0)" } }))
        // Each writer's rows are in its own order: ids follow commit order.
        for writer in 0..<writers {
            let own = texts.filter { $0.hasPrefix("\(writer)-") }
            #expect(own == (0..<perWriter).map { "\(writer)-\($0)" })
        }
        #expect(try await outbox.counts() == OutboxCounts(pending: writers * perWriter))
    }
}
