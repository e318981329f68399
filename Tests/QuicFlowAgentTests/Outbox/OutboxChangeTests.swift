import QuicFlow
import QuicFlowAgent
import Testing

@Suite("Outbox change notification")
struct OutboxChangeTests {
    @Test("this outbox's own enqueue wakes a subscriber")
    func sameInstance() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.db"))
        let changes = outbox.changes()
        let clock = ContinuousClock()
        let start = clock.now
        try await outbox.enqueue(type: .event, payload: [1])
        #expect(await ChangeSignal.next(changes))
        print("outbox change signal, same instance: \(clock.now - start)")

        // A retry becoming due again wakes it too.
        let claimed = try await outbox.nextBatch(limit: 1)
        try await outbox.markRetry(id: claimed[0].id, error: "lost", now: 0)
        #expect(await ChangeSignal.next(changes))
    }

    @Test("another connection's enqueue (a second Outbox on the file) wakes a subscriber")
    func otherInstance() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("outbox.db")
        let agent = try Outbox(path: path)
        let sender = try Outbox(path: path)
        // Opening a second connection or polling itself must not signal: a
        // signal below is then the sender's commit, seen by the poller.
        let quiet = agent.changes()
        #expect(await ChangeSignal.next(quiet, timeout: .milliseconds(300)) == false, "no signal without a write")
        let changes = agent.changes()
        let clock = ContinuousClock()
        for round in 1...3 {
            let start = clock.now
            try await sender.enqueue(type: .event, payload: [UInt8(round)])
            #expect(await ChangeSignal.next(changes), "round \(round)")
            print("outbox change signal, other instance, round \(round): \(clock.now - start)")
            #expect(try await agent.counts().pending == round)
        }
    }

    @Test(
        "another process's insert (the sqlite3 shell) wakes a subscriber",
        .enabled(if: ChildProcess.sqlite3 != nil, "needs the sqlite3 shell")
    )
    func otherProcess() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("outbox.db")
        let agent = try Outbox(path: path)
        let changes = agent.changes()
        let result = try await ChildProcess.run(try #require(ChildProcess.sqlite3), [path], input: """
            .timeout 5000
            INSERT INTO messages (msg_id, type, payload, wait_ack, state, attempts, created_at, next_attempt_at)
            VALUES ('0123456789abcdef0123456789abcdef', 'event', X'6869', 1, 'pending', 0, 0, 0);
            """)
        #expect(result.status == 0)
        #expect(await ChangeSignal.next(changes))
        #expect(try await agent.nextBatch(limit: 5).map(\.text) == ["hi"])
    }

    @Test("closing the outbox ends the stream")
    func closeEndsStream() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.db"))
        let changes = outbox.changes()
        try outbox.close()
        var iterator = changes.makeAsyncIterator()
        #expect(await iterator.next() == nil)
        #expect(await ChangeSignal.next(outbox.changes()) == false)
        let error = await #expect(throws: AgentError.self) { try await outbox.counts() }
        #expect(error?.code == .storage)
    }
}
