import QUICTestSupport
import Foundation
import QuicFlow
import QuicFlowTime
@testable import QuicFlowServerApp
import Testing

/// The ``MessageRepository`` contract, run against every implementation.
@Suite("Contract: MessageRepository", .timeLimit(.minutes(1)))
struct MessageRepositoryContractTests {
    @Test("insert and lookup round-trip every field; a second insert of a msg_id is refused, not an overwrite", arguments: MessageRepositoryUnderTest.kinds)
    func insertIfAbsent(_ kind: StateImplementation) async throws {
        let subject = try await MessageRepositoryUnderTest.make(kind)
        defer { subject.cleanUp() }
        let repository = subject.repository
        var message = subject.message("m-1")
        message.status = "success"
        message.result = Data([0, 1, 2])
        message.error = "none"
        message.late = true
        try await repository.insert(message)
        #expect(try await repository.lookup("m-1") == message)
        #expect(try await repository.lookup("m-404") == nil)
        var other = subject.message("m-1", to: "someone-else")
        other.payload = Data("overwrite".utf8)
        await #expect(throws: (any Error).self) { try await repository.insert(other) }
        #expect(try await repository.lookup("m-1") == message)
    }

    @Test("update moves the state and sets the given fields; nil keeps a field; an unknown msg_id is nil", arguments: MessageRepositoryUnderTest.kinds)
    func update(_ kind: StateImplementation) async throws {
        let subject = try await MessageRepositoryUnderTest.make(kind)
        defer { subject.cleanUp() }
        let repository = subject.repository
        try await repository.insert(subject.message("m-1", state: .sent, ttl: nil))
        subject.wall.advance(by: .seconds(5))
        let updated = try await repository.update(
            "m-1", state: .delivered, status: "success", result: Data("ok".utf8), error: "", late: false)
        #expect(updated?.state == .delivered)
        #expect(updated?.status == "success")
        #expect(updated?.updatedAt == subject.wall.clock.unixSeconds())
        let late = try await repository.update("m-1", state: .delivered, status: nil, result: nil, error: nil, late: true)
        #expect(late?.result == Data("ok".utf8), "nil keeps the result")
        #expect(late?.late == true)
        #expect(try await repository.lookup("m-1") == late)
        #expect(try await repository.update("m-404", state: .expired) == nil)
    }

    @Test("queued: the client's unexpired queued messages, oldest first; clients with queued messages likewise", arguments: MessageRepositoryUnderTest.kinds)
    func queued(_ kind: StateImplementation) async throws {
        let subject = try await MessageRepositoryUnderTest.make(kind)
        defer { subject.cleanUp() }
        let repository = subject.repository
        try await repository.insert(subject.message("first", ttl: .seconds(100)))
        try await repository.insert(subject.message("short", ttl: .seconds(10)))
        try await repository.insert(subject.message("second", ttl: .seconds(100)))
        try await repository.insert(subject.message("sent", state: .sent, ttl: nil))
        try await repository.insert(subject.message("theirs", to: "other", ttl: .seconds(10)))
        #expect(try await repository.queued(for: "device").map(\.msgID) == ["first", "short", "second"])
        #expect(Set(try await repository.clientsWithQueuedMessages()) == ["device", "other"])
        #expect(try await repository.queuedCount() == 4)
        // Past its time and not yet expired by a sweep: never handed out.
        subject.wall.advance(by: .seconds(10))
        #expect(try await repository.queued(for: "device").map(\.msgID) == ["first", "second"])
        #expect(try await repository.clientsWithQueuedMessages() == ["device"])
    }

    @Test("claimNext hands out the head of the queue: oldest first, never one whose time ran out, the next once the head is finished; a holder's repeat claim renews its own", arguments: MessageRepositoryUnderTest.kinds)
    func claimNext(_ kind: StateImplementation) async throws {
        let subject = try await MessageRepositoryUnderTest.make(kind)
        defer { subject.cleanUp() }
        let repository = subject.repository
        #expect(try await repository.claimNext(for: "device", margin: .seconds(5)) == .empty)
        try await repository.insert(subject.message("short", ttl: .seconds(10)))
        try await repository.insert(subject.message("first", ttl: .seconds(100)))
        try await repository.insert(subject.message("second", ttl: .seconds(100)))
        try await repository.insert(subject.message("theirs", to: "other", ttl: .seconds(100)))
        subject.wall.advance(by: .seconds(10))
        guard case .claimed(let head) = try await repository.claimNext(for: "device", margin: .seconds(5)) else {
            Issue.record("the head of the queue was not handed out")
            return
        }
        #expect(head == (try await repository.lookup("first")), "the claim returns the message as stored")
        #expect(try await repository.claimNext(for: "device", margin: .seconds(5)) == .claimed(head), "the holder's own claim again")
        try await repository.update("first", state: .delivered)
        guard case .claimed(let next) = try await repository.claimNext(for: "device", margin: .seconds(5)) else {
            Issue.record("the second message was not handed out after the first")
            return
        }
        #expect(next.msgID == "second")
        try await repository.releaseClaim("second")
        #expect(try await repository.claimNext(for: "device", margin: .seconds(5)) == .claimed(next), "released, claimable again")
    }

    @Test("expire moves each queued message whose time ran out exactly once, even with concurrent sweeps", arguments: MessageRepositoryUnderTest.kinds)
    func expire(_ kind: StateImplementation) async throws {
        let subject = try await MessageRepositoryUnderTest.make(kind)
        defer { subject.cleanUp() }
        let repository = subject.repository
        for n in 0..<20 { try await repository.insert(subject.message("q-\(n)", ttl: .seconds(n < 10 ? 1 : 100))) }
        #expect(try await repository.expire().isEmpty)
        subject.wall.advance(by: .seconds(1))
        let expired = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 { group.addTask { try await repository.expire().map(\.msgID) } }
            return try await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(expired.sorted() == (0..<10).map { "q-\($0)" }.sorted())
        #expect(try await repository.lookup("q-0")?.state == .expired)
        #expect(try await repository.lookup("q-10")?.state == .queued)
        #expect(try await repository.queuedCount() == 10)
    }

    @Test("purgeFinished drops finished messages past the retention and never a queued one", arguments: MessageRepositoryUnderTest.kinds)
    func purge(_ kind: StateImplementation) async throws {
        let subject = try await MessageRepositoryUnderTest.make(kind)
        defer { subject.cleanUp() }
        let repository = subject.repository
        for (id, state) in [("sent", MessageState.sent), ("delivered", .delivered), ("expired", .expired), ("queued", .queued)] {
            try await repository.insert(subject.message(id, state: state, ttl: nil))
        }
        subject.wall.advance(by: .seconds(3_600))
        try await repository.insert(subject.message("recent", state: .delivered, ttl: nil))
        #expect(try await repository.purgeFinished(olderThan: .seconds(3_600)) == 0, "exactly as old as the retention stays")
        subject.wall.advance(by: .seconds(1))
        #expect(try await repository.purgeFinished(olderThan: .seconds(3_600)) == 3)
        #expect(try await repository.lookup("queued")?.state == .queued)
        #expect(try await repository.lookup("recent") != nil)
    }

    @Test("durability is explicit: the file survives a reopen, memory says it does not")
    func durability() async throws {
        let file = try await MessageRepositoryUnderTest.make(.sqliteFile)
        defer { file.cleanUp() }
        #expect(file.repository.isDurable)
        try await file.repository.insert(file.message("kept"))
        let reopened = SQLiteMessageRepository(try ServerDatabase(directory: file.directory), wallClock: file.wall.clock)
        #expect(try await reopened.lookup("kept")?.state == .queued)
        #expect(try await MessageRepositoryUnderTest.make(.sqliteInMemory).repository.isDurable == false)
        let postgres = try await MessageRepositoryUnderTest.make(.postgres)
        defer { postgres.cleanUp() }
        #expect(postgres.repository.isDurable)
    }
}
