import Foundation
import QUICTestSupport
import QuicFlow
@testable import QuicFlowServerApp
import QuicFlowTime
import Synchronization
import Testing

/// Every implementation of the server's state protocols: the contract
/// suites run each test once per implementation (the cluster adds its
/// PostgreSQL ones here).
enum StateImplementation: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case inMemory = "in memory"
    case sqliteInMemory = "SQLite in memory"
    case sqliteFile = "SQLite file"

    var testDescription: String { rawValue }

    /// A temporary data directory for the file-backed ones.
    static func directory() throws -> String {
        try TestCertificateAuthority.makeTemporaryDirectory(prefix: "state-contract")
    }
}

/// A ``ReceivedLog`` under test, with the clocks that move its time.
struct ReceivedLogUnderTest {
    let log: any ReceivedLog
    /// Moves the log's notion of time forward.
    let advance: @Sendable (Duration) -> Void
    /// A new instance on the same storage, as after a restart; `nil` when
    /// nothing survives one.
    let reopen: (@Sendable () throws -> any ReceivedLog)?
    let directory: String?

    static func make(_ kind: StateImplementation, window: Duration = .seconds(600)) throws -> ReceivedLogUnderTest {
        switch kind {
        case .inMemory:
            let clock = ManualClock()
            return ReceivedLogUnderTest(
                log: InMemoryReceivedLog(window: window, capacity: 10_000, clock: ElapsedClock(clock)),
                advance: { clock.advance(by: $0) }, reopen: nil, directory: nil)
        case .sqliteInMemory:
            let wall = ManualWallClock()
            return ReceivedLogUnderTest(
                log: try SQLiteReceivedLog(ServerDatabase(directory: nil), wallClock: wall.clock),
                advance: { wall.advance(by: $0) }, reopen: nil, directory: nil)
        case .sqliteFile:
            let directory = try StateImplementation.directory()
            let wall = ManualWallClock()
            return ReceivedLogUnderTest(
                log: try SQLiteReceivedLog(ServerDatabase(directory: directory), wallClock: wall.clock),
                advance: { wall.advance(by: $0) },
                reopen: { try SQLiteReceivedLog(ServerDatabase(directory: directory), wallClock: wall.clock) },
                directory: directory)
        }
    }

    func cleanUp() {
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }
}

/// A ``MessageRepository`` under test, with its wall clock.
struct MessageRepositoryUnderTest {
    let repository: any MessageRepository
    let wall: ManualWallClock
    let directory: String?

    /// The implementations: SQLite on disk and in memory (the in-memory
    /// server state is SQLite's own in-memory database).
    static let kinds: [StateImplementation] = [.sqliteInMemory, .sqliteFile]

    static func make(_ kind: StateImplementation) throws -> MessageRepositoryUnderTest {
        let wall = ManualWallClock()
        let directory = kind == .sqliteFile ? try StateImplementation.directory() : nil
        return MessageRepositoryUnderTest(
            repository: SQLiteMessageRepository(try ServerDatabase(directory: directory), wallClock: wall.clock),
            wall: wall, directory: directory)
    }

    /// A message at the repository's current time.
    func message(
        _ msgID: String, to clientID: String = "device", state: MessageState = .queued, ttl: Duration? = .seconds(60)
    ) -> StoredMessage {
        let now = wall.clock.unixSeconds()
        return StoredMessage(
            msgID: msgID, clientID: clientID, type: "command", payload: Data(msgID.utf8), timeoutMilliseconds: 1_000,
            state: state, createdAt: now, expiresAt: ttl.map { now + Double($0.wholeMilliseconds) / 1_000 }, updatedAt: now)
    }

    func cleanUp() {
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }
}
