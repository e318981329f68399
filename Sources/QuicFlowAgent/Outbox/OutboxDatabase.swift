import GRDB
import Synchronization

/// The outbox's one SQLite connection, refusing work once closed.
///
/// GRDB crashes (rather than throws) when a closed queue is used, so every
/// access checks `closed` first, on the queue itself: `close()` sets the flag
/// in a job of its own before closing, so any job that runs later sees it.
final class OutboxDatabase: Sendable {
    private let queue: DatabaseQueue
    private let closed = Atomic<Bool>(false)
    private let path: String

    init(_ queue: DatabaseQueue, path: String) {
        self.queue = queue
        self.path = path
    }

    /// Runs `body` in an immediate transaction: the write lock is taken up
    /// front, so a read-then-write (the max_messages check) cannot fail with
    /// SQLITE_BUSY_SNAPSHOT when another process wrote in between; it waits
    /// for the busy timeout instead.
    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        try await queue.writeWithoutTransaction { db in
            try self.checkOpen()
            var result: T?
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
            guard let result else {
                throw AgentError(.storage, "the outbox \(self.path) transaction ended without a result")
            }
            return result
        }
    }

    /// Runs `body` without a transaction: every read here is one statement,
    /// which SQLite already runs on one consistent snapshot.
    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        try await queue.unsafeRead { db in
            try self.checkOpen()
            return try body(db)
        }
    }

    /// Closes the connection; later accesses throw. Blocks until running
    /// accesses finish.
    func close() throws {
        let wasClosed = queue.writeWithoutTransaction { _ in
            closed.exchange(true, ordering: .sequentiallyConsistent)
        }
        if !wasClosed {
            try queue.close()
        }
    }

    private func checkOpen() throws(AgentError) {
        if closed.load(ordering: .sequentiallyConsistent) {
            throw AgentError(.storage, "the outbox \(path) was closed; open it again to use it")
        }
    }
}
