import Foundation
import QuicFlow
@testable import QuicFlowServerApp
import Testing

@Suite("SQLite message repository: retention")
struct MessageRepositoryRetentionTests {
    static func record(_ msgID: String, _ state: MessageState, age: TimeInterval = 0) -> StoredMessage {
        let time = Date().timeIntervalSince1970 - age
        return StoredMessage(
            msgID: msgID, clientID: "device", type: "command", payload: Data("x".utf8), timeoutMilliseconds: 1_000,
            state: state, createdAt: time, expiresAt: nil, updatedAt: time, status: nil, result: nil, error: nil, late: false)
    }

    @Test("finished records past 7 days leave, a no-wait or timed-out (sent) one included; queued ones stay")
    func retention() async throws {
        let store = SQLiteMessageRepository(try ServerDatabase(directory: nil))
        let old = Double(MessageForwarder.retention.components.seconds) + 60
        for (id, state) in [("old-sent", MessageState.sent), ("old-delivered", .delivered), ("old-expired", .expired), ("old-queued", .queued)] {
            try await store.insert(Self.record(id, state, age: old))
        }
        try await store.insert(Self.record("new-sent", .sent))
        #expect(try await store.purgeFinished(olderThan: MessageForwarder.retention) == 3)
        for id in ["old-sent", "old-delivered", "old-expired"] { #expect(try await store.lookup(id) == nil, "\(id)") }
        #expect(try await store.lookup("old-queued")?.state == .queued)
        #expect(try await store.lookup("new-sent")?.state == .sent)
    }

    @Test("in memory, only the newest finished records are kept; queued ones are never dropped for room")
    func inMemoryLimit() async throws {
        let store = SQLiteMessageRepository(try ServerDatabase(directory: nil), inMemoryRecordLimit: 5)
        try await store.insert(Self.record("queued-first", .queued))
        for n in 0..<8 { try await store.insert(Self.record("done-\(n)", n % 2 == 0 ? .delivered : .sent)) }
        #expect(try await store.purgeFinished(olderThan: MessageForwarder.retention) == 3)
        for n in 0..<3 { #expect(try await store.lookup("done-\(n)") == nil) }
        for n in 3..<8 { #expect(try await store.lookup("done-\(n)") != nil) }
        #expect(try await store.lookup("queued-first")?.state == .queued)
        #expect(try await store.purgeFinished(olderThan: MessageForwarder.retention) == 0)
    }

    @Test("with a data directory there is no count limit, only the 7 days")
    func diskHasNoLimit() async throws {
        let directory = NSTemporaryDirectory() + "store-retention-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = SQLiteMessageRepository(try ServerDatabase(directory: directory), inMemoryRecordLimit: 5)
        for n in 0..<8 { try await store.insert(Self.record("done-\(n)", .delivered)) }
        #expect(try await store.purgeFinished(olderThan: MessageForwarder.retention) == 0)
    }
}
