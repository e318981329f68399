import QuicFlow
import QuicFlowAgent
import QuicFlowConfigFile
import Testing
import QuicFlowTime
import QuicFlowHooks

@Suite("Outbox delivery")
struct OutboxDeliveryTests {
    @Test("rows are claimed in enqueue order, and a retried row keeps its place")
    func orderAcrossClaimAndRetry() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.db"))
        var enqueued: [OutboxMessage] = []
        for index in 0..<5 {
            enqueued.append(try await outbox.enqueue(type: .event, payload: Array("m\(index)".utf8)))
        }
        #expect(enqueued.map(\.id) == enqueued.map(\.id).sorted())
        #expect(Set(enqueued.map(\.msgID)).count == 5)
        #expect(enqueued.allSatisfy { $0.msgID.count == 32 && $0.msgID.allSatisfy(\.isHexDigit) })

        let first = try await outbox.nextBatch(limit: 2)
        #expect(first.map(\.text) == ["m0", "m1"])
        #expect(first.allSatisfy { $0.state == .inFlight && $0.attempts == 1 && $0.lastAttemptAt != nil })
        #expect(try await outbox.counts() == OutboxCounts(pending: 3, inFlight: 2))

        // m0 fails and goes back; m1 is acknowledged.
        try await outbox.markRetry(id: first[0].id, error: "stream reset", now: 0)  // the backoff counted from the epoch: long past
        try await outbox.markDelivered(id: first[1].id, response: .success())

        let rest = try await outbox.nextBatch(limit: 10)
        #expect(rest.map(\.text) == ["m0", "m2", "m3", "m4"])
        #expect(rest[0].msgID == enqueued[0].msgID, "a retry reuses the msg_id so the server de-duplicates it")
        #expect(rest[0].attempts == 2)
        #expect(rest[0].lastError == "stream reset")
        #expect(try await outbox.nextBatch(limit: 10).isEmpty)
    }

    @Test("a row waiting out its backoff is not claimed before it is due")
    func backoffRespected() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(
            path: directory.file("outbox.db"), retryBackoff: Backoff(initial: .seconds(60), maximum: .seconds(60), jitter: 0))
        let message = try await outbox.enqueue(type: .event, payload: [1])
        let now = WallClock.system.unixMilliseconds()
        _ = try await outbox.nextBatch(limit: 1, now: now)
        #expect(try await outbox.markRetry(id: message.id, error: "timeout", now: now) == now + 60_000)
        #expect(try await outbox.nextBatch(limit: 1, now: now + 59_999).isEmpty)
        #expect(try await outbox.nextAttemptTime() == now + 60_000)
        #expect(try await outbox.nextBatch(limit: 1, now: now + 60_000).map(\.id) == [message.id])
    }

    @Test("every retry waits its attempt's backoff, jitter included: no caller can schedule one sooner")
    func retryFollowsBackoff() async throws {
        let directory = try TemporaryDirectory()
        let backoff = Backoff(initial: .seconds(1), maximum: .seconds(20), jitter: 0.2)
        let outbox = try Outbox(path: directory.file("outbox.db"), retryBackoff: backoff)
        let message = try await outbox.enqueue(type: .event, payload: [1])
        var now = WallClock.system.unixMilliseconds()
        for attempt in 1...8 {
            let claimed = try await outbox.nextBatch(limit: 1, now: now)
            #expect(claimed.map(\.attempts) == [attempt])
            let due = try await outbox.markRetry(id: message.id, error: "unanswered", now: now)
            let shortest = backoff.shortestDelay(attempt: attempt).wholeMilliseconds
            let nominal = backoff.nominalDelay(attempt: attempt).wholeMilliseconds
            #expect(due - now >= shortest, "attempt \(attempt): due after \(due - now) ms, backoff allows no less than \(shortest) ms")
            #expect(due - now <= min(nominal * 12 / 10, 20_000))
            #expect(try await outbox.nextBatch(limit: 1, now: due - 1).isEmpty)
            now = due
        }
        #expect(backoff.nominalDelay(attempt: 8).wholeMilliseconds == 20_000, "capped at the maximum")
        let retries = try await outbox.retries()
        #expect(retries.messages == 1)
        #expect(retries.worst?.attempts == 8 && retries.worst?.lastError == "unanswered")
    }

    @Test("rows a killed agent left in flight wait their backoff from the moment they were sent")
    func releaseInFlightWaitsBackoff() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(
            path: directory.file("outbox.db"), retryBackoff: Backoff(initial: .seconds(30), maximum: .seconds(60), jitter: 0))
        let message = try await outbox.enqueue(type: .event, payload: [1])
        let sentAt = WallClock.system.unixMilliseconds()
        _ = try await outbox.nextBatch(limit: 1, now: sentAt)
        #expect(try await outbox.releaseInFlight() == 1)
        #expect(try await outbox.nextAttemptTime() == sentAt + 30_000)
        #expect(try await outbox.nextBatch(limit: 1, now: sentAt + 29_999).isEmpty)
        #expect(try await outbox.nextBatch(limit: 1, now: sentAt + 30_000).map(\.id) == [message.id])
    }

    @Test("payload and type round-trip; batches keep their order")
    func roundTrip() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.db"))
        let payload: [UInt8] = [0, 255, 10, 13, 0, 42]
        try await outbox.enqueue(type: .command, payload: payload)
        let batch = try await outbox.enqueueBatch((0..<100).map { Message(type: .query, text: "b\($0)") })
        #expect(batch.map(\.text) == (0..<100).map { "b\($0)" })

        let listed = try await outbox.list(limit: 1_000)
        #expect(listed.count == 101)
        #expect(listed[0].payload == payload && listed[0].type == .command)
        #expect(listed.dropFirst().map(\.text) == (0..<100).map { "b\($0)" })
        #expect(listed.dropFirst().allSatisfy { $0.type == .query })
        #expect(listed.dropFirst().map(\.id) == batch.map(\.id))
    }

    @Test("a full outbox refuses with a clear error and drops nothing")
    func fullOutboxRefuses() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.db"), maxMessages: 3)
        for index in 0..<3 {
            try await outbox.enqueue(type: .event, payload: [UInt8(index)])
        }
        _ = try await outbox.nextBatch(limit: 1)
        let error = await #expect(throws: AgentError.self) {
            try await outbox.enqueue(type: .event, payload: [9])
        }
        #expect(error?.code == .outboxFull)
        #expect(error?.message.contains("2 pending, 1 in flight, 0 dead") == true)
        #expect(error?.message.contains("max_messages = 3") == true)
        #expect(error?.message.contains("raise max_messages") == true)

        // A batch that does not fit is refused whole.
        let batchError = await #expect(throws: AgentError.self) {
            try await outbox.enqueueBatch([Message(type: .event, payload: [7])])
        }
        #expect(batchError?.code == .outboxFull)
        #expect(try await outbox.list(limit: 10).map(\.payload) == [[0], [1], [2]])
        // Each refusal is counted where `quicflow-agent status` reads it.
        #expect(try await outbox.state()[.outboxFullRefusals] == "2")

        // Dead rows count against the limit too; purging them makes room.
        let claimed = try await outbox.nextBatch(limit: 1)
        try await outbox.markDead(id: claimed[0].id, error: "rejected")
        await #expect(throws: AgentError.self) { try await outbox.enqueue(type: .event, payload: [9]) }
        #expect(try await outbox.purgeDead() == 1)
        try await outbox.enqueue(type: .event, payload: [9])
        #expect(try await outbox.counts().total == 3)
    }

    @Test("in-flight rows survive a crash and are released at startup")
    func inFlightReleasedAfterCrash() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("outbox.db")
        do {
            let outbox = try Outbox(path: path)
            for index in 0..<4 {
                try await outbox.enqueue(type: .event, payload: [UInt8(index)])
            }
            let claimed = try await outbox.nextBatch(limit: 3)
            try await outbox.markDelivered(id: claimed[0].id, response: .success())
            // The process "dies" here: two rows were claimed, never answered.
        }
        let reopened = try Outbox(path: path)
        #expect(try await reopened.counts() == OutboxCounts(pending: 1, inFlight: 2))
        #expect(try await reopened.releaseInFlight() == 2)
        // Released rows wait their backoff (1 s by default) from when they were sent.
        let again = try await reopened.nextBatch(limit: 10, now: WallClock.system.unixMilliseconds() + 60_000)
        #expect(again.map(\.payload) == [[1], [2], [3]])
        #expect(again.map(\.attempts) == [2, 2, 1])
    }

    @Test("markDelivered records SUCCESS and FAILURE in the history, newest first")
    func historyRecordsOutcome() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.db"))
        let ok = try await outbox.enqueue(type: .event, payload: [1])
        let bad = try await outbox.enqueue(type: .command, payload: [2])
        _ = try await outbox.nextBatch(limit: 2)
        try await outbox.markDelivered(id: ok.id, response: .success(text: "fine"))
        try await outbox.markDelivered(id: bad.id, response: .failure("no handler for command"))
        #expect(try await outbox.counts().total == 0)

        let history = try await outbox.history(limit: 10)
        #expect(history.map(\.msgID) == [bad.msgID, ok.msgID])
        #expect(history[0].status == .failure && history[0].error == "no handler for command")
        #expect(history[0].type == .command && history[0].attempts == 1)
        #expect(history[1].status == .success && history[1].error.isEmpty)
        #expect(history[1].createdAt == ok.createdAt && history[1].deliveredAt >= ok.createdAt)

        let missing = await #expect(throws: AgentError.self) {
            try await outbox.markDelivered(id: ok.id, response: .success())
        }
        #expect(missing?.code == .notFound)
        await #expect(throws: AgentError.self) { try await outbox.markRetry(id: 9_999, error: "x") }
    }

    @Test("history keeps only the newest historyLimit entries")
    func historyBounded() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.db"), historyLimit: 5)
        let batch = try await outbox.enqueueBatch((0..<12).map { Message(type: .event, text: "h\($0)") })
        let textByID = Dictionary(uniqueKeysWithValues: batch.map { ($0.msgID, $0.text) })
        for message in try await outbox.nextBatch(limit: 12) {
            let response: Response = message.text == "h10" ? .failure("disk full") : .success()
            try await outbox.markDelivered(id: message.id, response: response)
        }
        let history = try await outbox.history(limit: 100)
        #expect(history.map { textByID[$0.msgID] } == ["h11", "h10", "h9", "h8", "h7"])
        #expect(history[1].status == .failure && history[1].error == "disk full")
        #expect(try await outbox.history(limit: 2).count == 2)
    }

    @Test("rows past max_age become dead and are listed")
    func deadByAge() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.db"))
        let first = try await outbox.enqueue(type: .event, payload: [1])
        let second = try await outbox.enqueue(type: .event, payload: [2])
        let hour = Duration.seconds(3_600)
        #expect(try await outbox.expire(now: first.createdAt + 3_600_000, maxAge: hour, maxAttempts: nil) == 0)
        #expect(try await outbox.expire(now: second.createdAt + 3_600_001, maxAge: hour, maxAttempts: nil) == 2)
        #expect(try await outbox.counts() == OutboxCounts(dead: 2))
        let dead = try await outbox.list(state: .dead)
        #expect(dead.map(\.id) == [first.id, second.id])
        #expect(dead.allSatisfy { $0.lastError?.contains("max_age") == true })
        #expect(try await outbox.nextBatch(limit: 10).isEmpty, "dead rows are never claimed")
    }

    @Test("rows tried max_attempts times become dead; retryDead puts them back in place")
    func deadByAttemptsAndRetry() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.db"))
        let first = try await outbox.enqueue(type: .event, payload: [1])
        let second = try await outbox.enqueue(type: .event, payload: [2])
        for attempt in 1...2 {
            let claimed = try await outbox.nextBatch(limit: 1)
            #expect(claimed.map(\.id) == [first.id] && claimed[0].attempts == attempt)
            try await outbox.markRetry(id: first.id, error: "refused", now: 0)  // the backoff counted from the epoch: long past
        }
        #expect(try await outbox.expire(maxAge: nil, maxAttempts: 2) == 1)
        let dead = try await outbox.list(state: .dead)
        #expect(dead.map(\.id) == [first.id])
        #expect(dead[0].lastError?.contains("max_attempts") == true)
        #expect(dead[0].lastError?.contains("refused") == true)

        #expect(try await outbox.nextBatch(limit: 10).map(\.id) == [second.id])
        try await outbox.markRetry(id: second.id, error: "later", now: 0)  // the backoff counted from the epoch: long past
        #expect(try await outbox.retryDead() == 1)
        let revived = try await outbox.nextBatch(limit: 10)
        #expect(revived.map(\.id) == [first.id, second.id])
        #expect(revived[0].attempts == 1, "retryDead resets attempts")
    }

    @Test("expire leaves in-flight rows alone and purge removes a whole state")
    func expireAndPurge() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.db"))
        try await outbox.enqueueBatch((0..<4).map { Message(type: .event, payload: [UInt8($0)]) })
        _ = try await outbox.nextBatch(limit: 1)
        let farFuture = WallClock.system.unixMilliseconds() + 86_400_000
        #expect(try await outbox.expire(now: farFuture, maxAge: .seconds(Int64.max), maxAttempts: Int.max) == 0)
        #expect(try await outbox.expire(now: farFuture, maxAge: .seconds(1), maxAttempts: nil) == 3)
        #expect(try await outbox.counts() == OutboxCounts(inFlight: 1, dead: 3))
        #expect(try await outbox.purge(state: .inFlight) == 1)
        #expect(try await outbox.purgeDead() == 3)
        #expect(try await outbox.counts() == OutboxCounts())
    }

    @Test("oldestPendingAge measures from the oldest undelivered row")
    func oldestAge() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.db"))
        #expect(try await outbox.oldestPendingAge() == nil)
        let first = try await outbox.enqueue(type: .event, payload: [1])
        try await outbox.enqueue(type: .event, payload: [2])
        _ = try await outbox.nextBatch(limit: 1)
        #expect(try await outbox.oldestPendingAge(now: first.createdAt + 1_500) == .milliseconds(1_500))
    }

    @Test("agent state and handler runs are stored and bounded")
    func agentStateAndHandlerRuns() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("outbox.db")
        do {
            let outbox = try Outbox(path: path)
            try await outbox.setState(.connectionState, "connected")
            try await outbox.setState(.serverAddress, "backbone.example:4433")
            try await outbox.setState(.lastError, "handshake failed")
            try await outbox.setState(.lastError, nil)
            try await outbox.setState(.connectionState, "disconnected")
            for index in 0..<105 {
                try await outbox.recordHandlerRun(HandlerRunRecord(
                    name: "h\(index)", status: index % 2 == 0 ? .success : .failure,
                    duration: .milliseconds(index), finishedAt: Int64(index), error: index % 2 == 0 ? "" : "exit 1"
                ))
            }
        }
        // As `quicflow-agent status` would, after the agent stopped.
        let status = try Outbox(path: path)
        #expect(try await status.state() == [.connectionState: "disconnected", .serverAddress: "backbone.example:4433"])
        let runs = try await status.recentHandlerRuns(limit: 1_000)
        #expect(runs.count == Outbox.handlerRunLimit)
        #expect(runs.first == HandlerRunRecord(name: "h104", status: .success, duration: .milliseconds(104), finishedAt: 104))
        #expect(runs.last?.name == "h5")
        #expect(runs[1].error == "exit 1")
    }

    @Test("bad settings and unusable paths fail with actionable errors")
    func openErrors() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: AgentError.self) { try Outbox(path: directory.file("a.db"), maxMessages: 0) }
        let file = directory.file("plain")
        _ = try Outbox(path: file)
        let error = #expect(throws: AgentError.self) { try Outbox(path: file + "/inner/outbox.db") }
        #expect(error?.code == .storage)
        #expect(error?.message.contains("not a directory") == true)
    }
}
