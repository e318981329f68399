import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowCluster
@testable import QuicFlowServerApp
import QuicFlowTime
import Synchronization
import Testing

/// Every implementation of the server's state protocols: the contract
/// suites run each test once per implementation, the cluster's PostgreSQL
/// ones included (on the throwaway server of `scripts/test.sh`).
enum StateImplementation: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case inMemory = "in memory"
    case sqliteInMemory = "SQLite in memory"
    case sqliteFile = "SQLite file"
    case postgres = "PostgreSQL"

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
    let reopen: (@Sendable () async throws -> any ReceivedLog)?
    let directory: String?
    var postgres: TestPostgres.OpenDatabase?

    static func make(_ kind: StateImplementation, window: Duration = .seconds(600)) async throws -> ReceivedLogUnderTest {
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
        case .postgres:
            let open = try await TestPostgres.open()
            let wall = ManualWallClock()
            // A restart is a new run of the same node: the old run's rows are then a dead run's.
            let start: @Sendable () async throws -> any ReceivedLog = {
                let registry = NodeRegistry(open.database, run: NodeRun(nodeID: "node-a"), lease: .seconds(10), wallClock: wall.clock)
                // The old run's heartbeat must be past the lease before its node id can be taken again.
                wall.advance(by: .seconds(11))
                try await registry.join()
                return PostgresReceivedLog(open.database, run: registry.run, lease: .seconds(10), wallClock: wall.clock)
            }
            var subject = ReceivedLogUnderTest(
                log: try await start(), advance: { wall.advance(by: $0) }, reopen: start, directory: nil)
            subject.postgres = open
            return subject
        }
    }

    func cleanUp() {
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
        postgres?.stop()
    }
}

/// A ``MessageRepository`` under test, with its wall clock.
struct MessageRepositoryUnderTest {
    let repository: any MessageRepository
    let wall: ManualWallClock
    let directory: String?
    var postgres: TestPostgres.OpenDatabase?

    /// The implementations: SQLite on disk and in memory (the in-memory
    /// server state is SQLite's own in-memory database), and the cluster's.
    static let kinds: [StateImplementation] = [.sqliteInMemory, .sqliteFile, .postgres]

    static func make(_ kind: StateImplementation) async throws -> MessageRepositoryUnderTest {
        let wall = ManualWallClock()
        if kind == .postgres {
            let open = try await TestPostgres.open()
            return MessageRepositoryUnderTest(
                repository: PostgresMessageRepository(
                    open.database, run: NodeRun(nodeID: "node-a"), lease: .seconds(10), wallClock: wall.clock), wall: wall,
                directory: nil, postgres: open)
        }
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
        postgres?.stop()
    }
}

/// A ``ClientDirectory`` under test.
struct ClientDirectoryUnderTest {
    let directory: any ClientDirectory
    var postgres: TestPostgres.OpenDatabase?

    static let kinds: [StateImplementation] = [.inMemory, .postgres]

    static func make(_ kind: StateImplementation) async throws -> ClientDirectoryUnderTest {
        guard kind == .postgres else { return ClientDirectoryUnderTest(directory: InMemoryClientDirectory()) }
        let open = try await TestPostgres.open()
        let registry = NodeRegistry(open.database, run: NodeRun(nodeID: "node-a"), lease: .seconds(10))
        try await registry.join()
        return ClientDirectoryUnderTest(
            directory: PostgresClientDirectory(open.database, run: registry.run, lease: .seconds(10)), postgres: open)
    }

    func cleanUp() {
        postgres?.stop()
    }
}

/// An ``EventSink`` and ``EventSource`` under test: the hub of one process,
/// or a cluster node's stream on PostgreSQL with its log running.
struct EventStreamUnderTest {
    let stream: any EventSink & EventSource
    var postgres: TestPostgres.OpenDatabase?
    var running: Task<Void, Never>?

    static let kinds: [StateImplementation] = [.inMemory, .postgres]

    static func make(_ kind: StateImplementation) async throws -> EventStreamUnderTest {
        guard kind == .postgres else { return EventStreamUnderTest(stream: EventHub(firstEventID: 1_000)) }
        let open = try await TestPostgres.open()
        let log = ClusterEventLog(database: open.database, nodeID: "node-a", logger: TestPostgres.logger)
        let stream = ClusterEventStream(log: log, nodeID: "node-a")
        return EventStreamUnderTest(stream: stream, postgres: open, running: Task { await log.run() })
    }

    func cleanUp() {
        running?.cancel()
        postgres?.stop()
    }
}
