import QuicFlow
@testable import QuicFlowServerApp
import Testing

/// The ``ReceivedLog`` contract, run against every implementation.
@Suite("Contract: ReceivedLog", .timeLimit(.minutes(1)))
struct ReceivedLogContractTests {
    static let kinds: [StateImplementation] = [.inMemory, .sqliteInMemory, .sqliteFile, .postgres]

    @Test("new, then in progress, then the recorded answer; the key is sender and msg_id", arguments: kinds)
    func lifecycle(_ kind: StateImplementation) async throws {
        let subject = try await ReceivedLogUnderTest.make(kind)
        defer { subject.cleanUp() }
        let log = subject.log
        #expect(try await log.lookup(sender: "a", msgID: "1") == nil)
        #expect(try await log.beginHandling(sender: "a", msgID: "1") == .new)
        #expect(try await log.lookup(sender: "a", msgID: "1") == .inProgress)
        #expect(try await log.beginHandling(sender: "a", msgID: "1") == .inProgress)
        #expect(try await log.beginHandling(sender: "b", msgID: "1") == .new, "another sender may reuse a msg_id")
        #expect(try await log.recordAnswer(sender: "a", msgID: "1", .success(text: "done")))
        #expect(try await log.beginHandling(sender: "a", msgID: "1") == .answered(.success(text: "done")))
        #expect(try await log.lookup(sender: "a", msgID: "1") == .answered(.success(text: "done")))
        #expect(try await log.answerCount() == 1)
    }

    @Test("a forgotten message is new again; an answer for nothing in progress is refused", arguments: kinds)
    func forget(_ kind: StateImplementation) async throws {
        let subject = try await ReceivedLogUnderTest.make(kind)
        defer { subject.cleanUp() }
        let log = subject.log
        #expect(try await log.beginHandling(sender: "a", msgID: "f") == .new)
        try await log.forgetHandling(sender: "a", msgID: "f")
        #expect(try await log.lookup(sender: "a", msgID: "f") == nil)
        #expect(try await log.beginHandling(sender: "a", msgID: "f") == .new)
        #expect(try await log.recordAnswer(sender: "a", msgID: "never-begun", .success()) == false)
        #expect(try await log.answerCount() == 0)
    }

    @Test("begin is insert-if-absent: of 20 concurrent begins of one message exactly one is new", arguments: kinds)
    func beginIsAtomic(_ kind: StateImplementation) async throws {
        let subject = try await ReceivedLogUnderTest.make(kind)
        defer { subject.cleanUp() }
        let log = subject.log
        let lookups = try await withThrowingTaskGroup(of: ReceivedLookup.self) { group in
            for _ in 0..<20 { group.addTask { try await log.beginHandling(sender: "a", msgID: "race") } }
            return try await group.reduce(into: [ReceivedLookup]()) { $0.append($1) }
        }
        #expect(lookups.count { $0 == .new } == 1)
        #expect(lookups.count { $0 == .inProgress } == 19)
    }

    @Test("answers older than the window are purged; this run's messages in progress stay", arguments: kinds)
    func purge(_ kind: StateImplementation) async throws {
        let subject = try await ReceivedLogUnderTest.make(kind, window: .seconds(60))
        defer { subject.cleanUp() }
        let log = subject.log
        #expect(try await log.beginHandling(sender: "a", msgID: "old") == .new)
        try await log.recordAnswer(sender: "a", msgID: "old", .success())
        #expect(try await log.beginHandling(sender: "a", msgID: "running") == .new)
        subject.advance(.seconds(59))
        #expect(try await log.purge(olderThan: .seconds(60)) == 0, "inside the window")
        #expect(try await log.lookup(sender: "a", msgID: "old") == .answered(.success()))
        subject.advance(.seconds(2))
        #expect(try await log.purge(olderThan: .seconds(60)) >= 1)
        #expect(try await log.lookup(sender: "a", msgID: "old") == nil)
        #expect(try await log.beginHandling(sender: "a", msgID: "running") == .inProgress, "still being handled")
        #expect(try await log.answerCount() == 0)
    }

    @Test("a durable log survives a restart: answers stay, a message left in progress is interrupted", arguments: [StateImplementation.sqliteFile, .postgres])
    func durable(_ kind: StateImplementation) async throws {
        let subject = try await ReceivedLogUnderTest.make(kind)
        defer { subject.cleanUp() }
        #expect(subject.log.isDurable)
        #expect(try await subject.log.beginHandling(sender: "a", msgID: "answered") == .new)
        try await subject.log.recordAnswer(sender: "a", msgID: "answered", .success(text: "yes"))
        #expect(try await subject.log.beginHandling(sender: "a", msgID: "cut") == .new)
        let reopen = try #require(subject.reopen)
        let reopened = try await reopen()
        #expect(try await reopened.beginHandling(sender: "a", msgID: "answered") == .answered(.success(text: "yes")))
        #expect(try await reopened.lookup(sender: "a", msgID: "cut") == .interrupted)
        #expect(try await reopened.beginHandling(sender: "a", msgID: "cut") == .interrupted)
        #expect(try await reopened.beginHandling(sender: "a", msgID: "cut") == .inProgress, "taken over by the new run")
    }

    @Test("the non-durable ones say so", arguments: [StateImplementation.inMemory, .sqliteInMemory])
    func notDurable(_ kind: StateImplementation) async throws {
        let subject = try await ReceivedLogUnderTest.make(kind)
        #expect(!subject.log.isDurable)
    }

    @Test("in memory, the window also holds by count: the oldest entries leave first")
    func inMemoryCapacity() async throws {
        let log = InMemoryReceivedLog(window: .seconds(600), capacity: 3)
        for n in 0..<3 {
            #expect(try await log.beginHandling(sender: "a", msgID: "\(n)") == .new)
            try await log.recordAnswer(sender: "a", msgID: "\(n)", .success())
        }
        #expect(try await log.beginHandling(sender: "a", msgID: "3") == .new)
        #expect(try await log.lookup(sender: "a", msgID: "0") == nil, "the oldest made room")
        #expect(try await log.lookup(sender: "a", msgID: "1") == .answered(.success()))
    }

    @Test("in memory, the window runs on the injected clock: an answer leaves exactly when it is older than the window")
    func inMemoryWindowOnManualClock() async throws {
        let subject = try await ReceivedLogUnderTest.make(.inMemory, window: .seconds(10))
        let log = subject.log
        #expect(try await log.beginHandling(sender: "a", msgID: "w") == .new)
        try await log.recordAnswer(sender: "a", msgID: "w", .success())
        subject.advance(.seconds(10) - .milliseconds(1))
        #expect(try await log.lookup(sender: "a", msgID: "w") == .answered(.success()))
        subject.advance(.milliseconds(1))
        #expect(try await log.lookup(sender: "a", msgID: "w") == nil)
    }
}
