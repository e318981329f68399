import QuicFlowConfigFile
import Foundation
import GRDB
public import QuicFlow
public import QuicFlowTime
import QuicFlowHooks
import QuicFlowDataDirectory
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The agent's durable outbox: every message the device sends is a row in a
/// SQLite file until the server has answered it, so nothing is lost across
/// disconnects, crashes and restarts.
///
/// Rows are delivered in ``OutboxMessage/id`` order. A row is `pending`, then
/// `in_flight` while it is being sent, and leaves the table when the server's
/// ACK arrives (a ``history(limit:)`` entry remains). A failed attempt puts it
/// back to `pending` with a later ``OutboxMessage/nextAttemptAt``; a row that
/// is too old or was tried too often becomes `dead`: kept, counted and
/// listable until it is retried or purged.
///
/// The file is opened in WAL mode with `synchronous = FULL`: when
/// ``enqueue(type:payload:waitAck:)`` returns, the row is on disk and survives
/// kill -9 and power loss. Several processes may use the same file at once
/// (the agent and `quicflow-agent send`); each write is an immediate
/// transaction, and a writer waits up to 5 s for another to finish.
///
/// All operations are `async` and run on GRDB's own queue, never on the
/// caller's thread, so they are safe to call from NIO-driven code. The
/// initializer is the exception: it opens the file synchronously.
public final class Outbox: Sendable {
    /// The database file.
    public let path: String
    /// The most rows (pending, in flight and dead) the outbox accepts.
    public let maxMessages: Int
    /// How many delivered messages ``history(limit:)`` keeps.
    public let historyLimit: Int
    /// How long a message waits after a failed attempt: attempt `n` of a row
    /// is followed by this backoff's delay `n`, whatever the failure was.
    public let retryBackoff: Backoff
    /// The time stamped on rows and compared with their deadlines (due,
    /// max_age); a test sets it to move time by hand.
    public let wallClock: WallClock

    /// How many handler runs ``recentHandlerRuns(limit:)`` keeps.
    public static let handlerRunLimit = 100

    private let database: OutboxDatabase
    private let notifier: OutboxChangeNotifier

    /// Opens the outbox at `path`, creating the file (mode 0600) and its
    /// directory (mode 0700) if they are missing, and bringing the schema up
    /// to date.
    ///
    /// Opening blocks the calling thread on file I/O: do it at startup, not on
    /// an event loop.
    ///
    /// - Parameters:
    ///   - path: The SQLite file, e.g. `/var/lib/quicflow-agent/outbox.db`.
    ///   - maxMessages: The most rows held at once; further enqueues fail with
    ///     ``AgentError/Code/outboxFull`` rather than dropping anything.
    ///   - historyLimit: How many delivered messages to remember.
    ///   - retryBackoff: The wait after each failed attempt (the agent's
    ///     `[reconnect]` settings).
    ///   - changePollInterval: How often another process's writes are looked
    ///     for while someone awaits ``changes()``.
    ///   - wallClock: The time rows are stamped and judged with.
    public init(
        path: String,
        maxMessages: Int = 100_000,
        historyLimit: Int = 1_000,
        retryBackoff: Backoff = AgentConfiguration.ReconnectSettings.defaultBackoff,
        changePollInterval: Duration = .milliseconds(50),
        wallClock: WallClock = .system
    ) throws(AgentError) {
        guard !path.isEmpty else {
            throw AgentError(.storage, "the outbox path is empty; set it to a file such as /var/lib/quicflow-agent/outbox.db")
        }
        guard maxMessages > 0 else {
            throw AgentError(.invalidConfiguration, "max_messages must be positive, got \(maxMessages)")
        }
        guard historyLimit >= 0 else {
            throw AgentError(.invalidConfiguration, "the history limit must not be negative, got \(historyLimit)")
        }
        self.path = path
        self.maxMessages = maxMessages
        self.historyLimit = historyLimit
        self.retryBackoff = retryBackoff
        self.wallClock = wallClock

        let markerPath = OutboxIdentity.path(for: path)
        let marker = try OutboxIdentity.read(markerPath)
        if let marker {
            // This directory held an outbox: a missing or empty file is a loss, not a fresh start.
            var info = stat()
            if stat(path, &info) != 0 {
                throw Self.lost(path, "is missing", marker)
            }
            if info.st_size == 0 {
                throw Self.lost(path, "is empty (0 bytes: truncated)", marker)
            }
        }
        do { try DatabaseFiles.prepare(path) } catch { throw AgentError(error) }

        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(5)
        configuration.label = "QuicFlowAgent.Outbox"
        configuration.prepareDatabase { db in
            // FULL: the WAL is synced on every commit, so a returned enqueue
            // survives power loss too (NORMAL would only survive a crash).
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let queue: DatabaseQueue
        let dataVersion: Int64?
        do {
            (queue, dataVersion) = try Self.open(path, configuration)
        } catch let error as AgentError {
            throw error
        } catch {
            if let corrupt = Self.corruption(path, error) { throw corrupt }
            throw AgentError(.storage, "cannot open the outbox at \(path): \(Self.describe(error)); check that the file is a QuicFlow outbox, writable by this user, and that the disk is not full")
        }
        do { try DatabaseFiles.restrict(path) } catch { throw AgentError(error) }
        try Self.checkIdentity(queue, path: path, marker: marker, markerPath: markerPath)
        let database = OutboxDatabase(queue, path: path)
        self.database = database
        self.notifier = OutboxChangeNotifier(
            dataVersion: dataVersion, pollInterval: changePollInterval,
            fileStamp: { FileStamp.of([path + "-wal", path]) }
        ) {
            try? await database.read { db in
                try Int64.fetchOne(db, sql: "PRAGMA data_version")
            }
        }
    }

    /// Opens the file, brings its schema up to date and reads its data
    /// version. Several processes opening a new outbox at once can get
    /// SQLITE_BUSY without the busy handler ever being asked (SQLite returns
    /// it at once where waiting could deadlock, as when switching a new file
    /// to WAL); those are retried for up to 5 s with a short random pause.
    private static func open(_ path: String, _ configuration: Configuration) throws -> (DatabaseQueue, Int64?) {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            do {
                let queue = try DatabaseQueue(path: path, configuration: configuration)
                try OutboxSchema.migrate(queue, path: path)
                let dataVersion = try queue.unsafeRead { db in
                    try Int64.fetchOne(db, sql: "PRAGMA data_version")
                }
                return (queue, dataVersion)
            } catch let error as DatabaseError
                where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED) && ContinuousClock.now < deadline
            {
                usleep(useconds_t.random(in: 5_000...30_000))
            }
        }
    }

    /// Compares the outbox's stored identity with the marker, or (no
    /// marker yet) gives the outbox an identity and writes the marker.
    private static func checkIdentity(
        _ queue: DatabaseQueue, path: String, marker: OutboxIdentity?, markerPath: String
    ) throws(AgentError) {
        let stored: (id: String, createdAt: Int64)
        do {
            stored = try queue.write { db in
                if marker == nil {
                    // INSERT OR IGNORE: processes opening a new outbox at once agree on one id.
                    try db.execute(sql: """
                        INSERT OR IGNORE INTO agent_state (key, value, updated_at) VALUES ('outbox_id', ?, ?)
                        """, arguments: [OutboxMessage.randomID(), WallClock.system.unixMilliseconds()])
                }
                let row = try Row.fetchOne(db, sql: "SELECT value, updated_at FROM agent_state WHERE key = 'outbox_id'")
                return (row?["value"] ?? "", row?["updated_at"] ?? 0)
            }
        } catch {
            if let corrupt = corruption(path, error) { throw corrupt }
            throw AgentError(.storage, "cannot read the identity of the outbox \(path): \(describe(error))")
        }
        if let marker {
            guard stored.id == marker.outboxID else {
                let what = stored.id.isEmpty ? "holds no outbox identity (a new or different database)" : "is a different outbox (\(stored.id))"
                throw lost(path, what, marker)
            }
            return
        }
        let counts = (try? queue.read { db in try Self.counts(db) }) ?? OutboxCounts()
        try OutboxIdentity(
            outboxID: stored.id, createdAt: stored.createdAt, pending: counts.pending, inFlight: counts.inFlight,
            dead: counts.dead, recordedAt: WallClock.system.unixMilliseconds()
        ).write(to: markerPath)
    }

    private static func lost(_ path: String, _ what: String, _ marker: OutboxIdentity) -> AgentError {
        AgentError(
            .outboxLost,
            "the outbox \(path) \(what), but this data directory held \(marker.summary); those messages may be lost, so the agent does not start a new outbox on its own. Restore the file from a backup, or start a new, empty outbox deliberately with `quicflow-agent outbox reset` (it keeps the old file beside it)")
    }

    /// Records the current counts in the outbox marker, so that a lost
    /// outbox can be reported with what it last held.
    public func recordSnapshot() async throws(AgentError) {
        let counts = try await counts()
        let markerPath = OutboxIdentity.path(for: path)
        guard var marker = try OutboxIdentity.read(markerPath) else { return }
        marker.pending = counts.pending
        marker.inFlight = counts.inFlight
        marker.dead = counts.dead
        marker.recordedAt = wallClock.unixMilliseconds()
        try marker.write(to: markerPath)
    }

    /// Starts over deliberately: moves the outbox at `path` (and its -wal
    /// and -shm files) aside to `PATH.lost-UNIXMS` and removes its marker,
    /// so the next open creates a new, empty outbox.
    /// - Returns: Where the old file went, or `nil` when there was none.
    public static func reset(path: String) throws(AgentError) -> String? {
        let suffix = ".lost-\(WallClock.system.unixMilliseconds())"
        var moved: String?
        for file in DatabaseFiles.all(path) where FileManager.default.fileExists(atPath: file) {
            guard rename(file, file + suffix) == 0 else {
                throw AgentError(.storage, "cannot move \(file) aside: \(String(cString: strerror(errno)))")
            }
            if file == path { moved = file + suffix }
        }
        let marker = OutboxIdentity.path(for: path)
        if FileManager.default.fileExists(atPath: marker), unlink(marker) != 0 {
            throw AgentError(.storage, "cannot remove the outbox marker \(marker): \(String(cString: strerror(errno)))")
        }
        return moved
    }

    deinit {
        notifier.finish()
    }

    /// Ends every ``changes()`` stream and closes the database. Later
    /// operations fail with ``AgentError/Code/storage``.
    ///
    /// Blocks until operations already running have finished. Dropping the
    /// last reference closes the outbox too.
    public func close() throws(AgentError) {
        notifier.finish()
        do {
            try database.close()
        } catch {
            throw AgentError(.storage, "cannot close the outbox at \(path): \(Self.describe(error))")
        }
    }

    // MARK: - Change notification

    /// Signals that rows may have become deliverable: enqueued by this or
    /// another process, put back by ``markRetry(id:error:status:now:)``,
    /// ``releaseInFlight()`` or ``retryDead()``.
    ///
    /// This outbox's own writes signal at once; another process's writes are
    /// noticed within `changePollInterval` (50 ms by default). Signals
    /// coalesce and may be spurious, so treat one as "look again": subscribe
    /// first, then drain with ``nextBatch(limit:now:)``, then await the next
    /// signal. The stream ends when the outbox is closed.
    public func changes() -> AsyncStream<Void> {
        notifier.subscribe()
    }

    // MARK: - Enqueueing

    /// Stores one message durably and returns it once committed.
    ///
    /// - Parameters:
    ///   - type: What the message is for.
    ///   - payload: The bytes to send.
    /// - Throws: ``AgentError/Code/outboxFull`` when the outbox holds
    ///   `maxMessages` rows (nothing is stored or dropped), or
    ///   ``AgentError/Code/storage``.
    @discardableResult
    public func enqueue(type: MessageType, payload: [UInt8]) async throws(AgentError) -> OutboxMessage {
        let stored = try await enqueueBatch([Message(type: type, payload: payload)])
        return stored[0]
    }

    /// Stores many messages in one transaction (one disk sync for all), in
    /// the given order; all or none are stored.
    ///
    /// Only each message's type and payload are stored. Every row is sent
    /// with an ACK requested whatever its `waitAck` says, because a row may
    /// leave the outbox only once the server has acknowledged it; the
    /// delivery loop applies its configured ACK timeout.
    ///
    /// - Throws: ``AgentError/Code/outboxFull`` when the batch does not fit
    ///   under `maxMessages` (nothing is stored), or ``AgentError/Code/storage``.
    @discardableResult
    public func enqueueBatch(_ messages: [Message]) async throws(AgentError) -> [OutboxMessage] {
        guard !messages.isEmpty else { return [] }
        let now = wallClock.unixMilliseconds()
        let drafts = messages.map { message in
            (msgID: OutboxMessage.randomID(), message: message, payload: Data(message.payload))
        }
        let maxMessages = maxMessages
        let path = path
        let ids: [Int64]
        do {
            ids = try await insert(drafts, now: now, maxMessages: maxMessages, path: path)
        } catch where error.code == .outboxFull {
            // Counted apart from the refused transaction, which rolled back.
            try? await countRefusal(.outboxFullRefusals)
            throw error
        }
        notifier.signal()
        return zip(ids, drafts).map { id, draft in
            OutboxMessage(
                id: id, msgID: draft.msgID, type: draft.message.type, payload: draft.message.payload,
                state: .pending, attempts: 0, createdAt: now,
                lastAttemptAt: nil, lastError: nil, nextAttemptAt: now
            )
        }
    }

    private func insert(
        _ drafts: [(msgID: String, message: Message, payload: Data)], now: Int64, maxMessages: Int, path: String
    ) async throws(AgentError) -> [Int64] {
        try await write("store new messages") { db in
            // Inside the (immediate) transaction, so two processes cannot
            // both see room for the last slot.
            let held = try Int.fetchOne(db, sql: "SELECT total FROM message_count WHERE id = 1") ?? 0
            if held + drafts.count > maxMessages {
                let counts = try Self.counts(db)
                let what = drafts.count == 1 ? "" : " (a batch of \(drafts.count) needs \(held + drafts.count - maxMessages) more)"
                throw AgentError(.outboxFull, "the outbox \(path) is full: \(counts), \(counts.total) of max_messages = \(maxMessages)\(what); wait for delivery, retry or purge dead messages, or raise max_messages in the agent configuration")
            }
            let insert = try db.cachedStatement(sql: """
                INSERT INTO messages (msg_id, type, payload, wait_ack, state, attempts, created_at, next_attempt_at)
                VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)
                """)
            var ids: [Int64] = []
            ids.reserveCapacity(drafts.count)
            for draft in drafts {
                try insert.execute(arguments: [
                    draft.msgID, draft.message.type.rawValue, draft.payload, true, now, now,
                ])
                ids.append(db.lastInsertedRowID)
            }
            return ids
        }
    }

    // MARK: - Delivery

    /// Claims up to `limit` pending rows due by `now`, oldest id first: marks
    /// them `in_flight`, counts the attempt and returns them in id order.
    public func nextBatch(limit: Int = 64, now: Int64? = nil) async throws(AgentError) -> [OutboxMessage] {
        let now = now ?? wallClock.unixMilliseconds()
        guard limit > 0 else { return [] }
        let path = path
        let claimed = try await write("claim messages for sending") { db in
            try Row.fetchAll(db, sql: """
                UPDATE messages
                SET state = 'in_flight', attempts = attempts + 1, last_attempt_at = :now
                WHERE id IN (
                    SELECT id FROM messages
                    WHERE state = 'pending' AND next_attempt_at <= :now
                    ORDER BY id LIMIT :limit
                )
                RETURNING \(Self.messageColumns)
                """, arguments: ["now": now, "limit": limit])
            .map { row in try Self.message(row, path: path) }
        }
        // RETURNING does not promise an order.
        return claimed.sorted { $0.id < $1.id }
    }

    /// Records the server's answer to a claimed message: the row leaves the
    /// outbox and a ``history(limit:)`` entry keeps the outcome.
    ///
    /// Only a SUCCESS takes a message out: a FAILURE or TIMEOUT means the
    /// backbone's application did not take it, so it is retried with
    /// ``markRetry(id:error:status:now:)`` (a QuicFlow backbone does not
    /// remember failed answers, so the retry is handled again). The delivery
    /// loop records SUCCESS here; any other status is recorded as given.
    ///
    /// - Parameters:
    ///   - id: The row id from ``nextBatch(limit:now:)``.
    ///   - response: The ACK; `.success()` for a message sent without `waitAck`.
    /// - Throws: ``AgentError/Code/notFound`` if no such row exists (it was
    ///   already delivered or purged).
    public func markDelivered(id: Int64, response: Response = .success()) async throws(AgentError) {
        let now = wallClock.unixMilliseconds()
        let historyLimit = historyLimit
        let path = path
        try await write("record a delivery") { db in
            guard let row = try Row.fetchOne(db, sql: """
                DELETE FROM messages WHERE id = ? RETURNING msg_id, type, attempts, created_at
                """, arguments: [id])
            else {
                throw AgentError(.notFound, "message \(id) is not in the outbox \(path); it was already delivered or purged")
            }
            let msgID: String = row["msg_id"]
            let type: String = row["type"]
            let attempts: Int = row["attempts"]
            let createdAt: Int64 = row["created_at"]
            try db.execute(sql: """
                INSERT INTO history (msg_id, type, status, error, attempts, created_at, delivered_at, result)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    msgID, type, response.status.rawValue, response.error, attempts, createdAt, now,
                    Data(response.result),
                ])
            try Self.trim(db, table: "history", keeping: historyLimit)
        }
    }

    /// Records several deliveries in one transaction (one sync to disk):
    /// each row leaves the outbox for the history, as ``markDelivered(id:response:)``
    /// does. Rows that are no longer in the outbox (purged meanwhile) are skipped.
    /// - Returns: how many rows were recorded.
    @discardableResult
    public func markDelivered(_ deliveries: [(id: Int64, response: Response)]) async throws(AgentError) -> Int {
        guard !deliveries.isEmpty else { return 0 }
        let now = wallClock.unixMilliseconds()
        let historyLimit = historyLimit
        let batch = deliveries.map { (id: $0.id, status: $0.response.status.rawValue, error: $0.response.error, result: Data($0.response.result)) }
        return try await write("record deliveries") { db in
            var recorded = 0
            for delivery in batch {
                guard let row = try Row.fetchOne(db, sql: """
                    DELETE FROM messages WHERE id = ? RETURNING msg_id, type, attempts, created_at
                    """, arguments: [delivery.id])
                else { continue }
                try db.execute(sql: """
                    INSERT INTO history (msg_id, type, status, error, attempts, created_at, delivered_at, result)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [
                        row["msg_id"] as String, row["type"] as String, delivery.status, delivery.error,
                        row["attempts"] as Int, row["created_at"] as Int64, now, delivery.result,
                    ])
                recorded += 1
            }
            try Self.trim(db, table: "history", keeping: historyLimit)
            return recorded
        }
    }

    /// Puts a claimed message back to `pending` after a failed attempt, due
    /// once ``retryBackoff`` has passed for its attempt count: the n-th
    /// failure of a row waits delay n, whatever the failure was, so no
    /// caller can make a message go out again faster than the backoff. It
    /// keeps its id, so it keeps its place in the delivery order.
    ///
    /// - Parameters:
    ///   - id: The row id.
    ///   - error: Why the attempt failed; shown by status and listings.
    ///   - status: The backbone's answer, when it answered FAILURE or
    ///     TIMEOUT; `nil` when no answer came.
    ///   - now: The current time (Unix ms) the delay counts from.
    /// - Returns: When the message is due again (Unix ms).
    /// - Throws: ``AgentError/Code/notFound`` if no such row exists.
    @discardableResult
    public func markRetry(
        id: Int64, error: String, status: Response.Status? = nil, now: Int64? = nil
    ) async throws(AgentError) -> Int64 {
        let now = now ?? wallClock.unixMilliseconds()
        let path = path
        let backoff = retryBackoff
        let due = try await write("schedule a retry") { db in
            guard let attempts = try Int.fetchOne(db, sql: "SELECT attempts FROM messages WHERE id = ?", arguments: [id]) else {
                throw AgentError(.notFound, "message \(id) is not in the outbox \(path); it was already delivered or purged")
            }
            let due = now + backoff.delay(attempt: max(attempts, 1)).wholeMilliseconds
            try db.execute(sql: """
                UPDATE messages SET state = 'pending', last_error = ?, last_status = ?, next_attempt_at = ? WHERE id = ?
                """, arguments: [error, status?.rawValue, due, id])
            return due
        }
        notifier.signal()
        return due
    }

    /// Gives up on one message: it becomes `dead`, kept with `error` until
    /// ``retryDead()`` or ``purgeDead()``.
    ///
    /// - Throws: ``AgentError/Code/notFound`` if no such row exists.
    public func markDead(id: Int64, error: String) async throws(AgentError) {
        try await updateOne(id, "mark a message dead", sql: """
            UPDATE messages SET state = 'dead', last_error = ? WHERE id = ?
            """, arguments: [error, id])
    }

    /// Puts every `in_flight` row back to `pending`, due when its attempt's
    /// backoff has passed since it was sent (``retryBackoff``).
    ///
    /// Call it at startup: a crash or kill -9 leaves claimed rows
    /// `in_flight`, and their ACKs will not come. The server's
    /// de-duplication window makes resending harmless.
    ///
    /// - Returns: How many rows were released.
    @discardableResult
    public func releaseInFlight() async throws(AgentError) -> Int {
        let backoff = retryBackoff
        let released = try await write("release in-flight messages") { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, attempts, COALESCE(last_attempt_at, created_at) AS sent_at FROM messages WHERE state = 'in_flight'
                """)
            for row in rows {
                let attempts: Int = row["attempts"]
                let sentAt: Int64 = row["sent_at"]
                let due = sentAt + backoff.delay(attempt: max(attempts, 1)).wholeMilliseconds
                try db.execute(
                    sql: "UPDATE messages SET state = 'pending', next_attempt_at = ? WHERE id = ?",
                    arguments: [due, row["id"] as Int64])
            }
            return rows.count
        }
        if released > 0 {
            notifier.signal()
        }
        return released
    }

    /// Makes `dead` every pending row enqueued more than `maxAge` before
    /// `now`, or already tried `maxAttempts` times. In-flight rows are left
    /// to their current attempt.
    ///
    /// - Parameters:
    ///   - now: The current time (Unix ms).
    ///   - maxAge: The oldest a message may get; `nil` for no limit.
    ///   - maxAttempts: The most attempts per message; `nil` for no limit.
    /// - Returns: How many rows became dead.
    @discardableResult
    public func expire(now: Int64? = nil, maxAge: Duration?, maxAttempts: Int?) async throws(AgentError) -> Int {
        let now = now ?? wallClock.unixMilliseconds()
        // Out-of-range sentinels turn a missing limit into "never matches".
        let cutoff = maxAge.map { age in
            let (cutoff, overflow) = now.subtractingReportingOverflow(age.wholeMilliseconds)
            return overflow ? Int64.min : cutoff
        } ?? Int64.min
        let attemptLimit = maxAttempts ?? Int.max
        let ageText = maxAge.map { "expired: older than max_age (\($0))" } ?? ""
        let attemptsText = "gave up after max_attempts (\(attemptLimit)) attempts"
        return try await write("expire old messages") { db in
            try db.execute(sql: """
                UPDATE messages
                SET state = 'dead',
                    last_error = CASE WHEN created_at < :cutoff THEN :age ELSE :attempts END
                        || COALESCE('; last error: ' || last_error, '')
                WHERE state = 'pending' AND (created_at < :cutoff OR attempts >= :limit)
                """, arguments: ["cutoff": cutoff, "limit": attemptLimit, "age": ageText, "attempts": attemptsText])
            return db.changesCount
        }
    }

    /// Puts every `dead` row back to `pending` with its attempts and age
    /// reset (so max_age does not kill it again at once), due at once, in
    /// its original order.
    ///
    /// - Returns: How many rows were revived.
    @discardableResult
    public func retryDead() async throws(AgentError) -> Int {
        let now = wallClock.unixMilliseconds()
        let revived = try await write("retry dead messages") { db in
            try db.execute(sql: """
                UPDATE messages SET state = 'pending', attempts = 0, created_at = :now, next_attempt_at = :now
                WHERE state = 'dead'
                """, arguments: ["now": now])
            return db.changesCount
        }
        if revived > 0 {
            notifier.signal()
        }
        return revived
    }

    /// Deletes every row in `state` without sending it.
    ///
    /// - Returns: How many rows were deleted.
    @discardableResult
    public func purge(state: OutboxMessage.State) async throws(AgentError) -> Int {
        try await write("purge \(state) messages") { db in
            try db.execute(sql: "DELETE FROM messages WHERE state = ?", arguments: [state.rawValue])
            return db.changesCount
        }
    }

    /// Deletes every `dead` row.
    ///
    /// - Returns: How many rows were deleted.
    @discardableResult
    public func purgeDead() async throws(AgentError) -> Int {
        try await purge(state: .dead)
    }

    // MARK: - Inspection

    /// The rows in `state` (all rows when `nil`), in delivery order.
    public func list(state: OutboxMessage.State? = nil, limit: Int = 100) async throws(AgentError) -> [OutboxMessage] {
        let path = path
        return try await read("list messages") { db in
            let rows = if let state {
                try Row.fetchAll(db, sql: """
                    SELECT \(Self.messageColumns) FROM messages WHERE state = ? ORDER BY id LIMIT ?
                    """, arguments: [state.rawValue, limit])
            } else {
                try Row.fetchAll(db, sql: """
                    SELECT \(Self.messageColumns) FROM messages ORDER BY id LIMIT ?
                    """, arguments: [limit])
            }
            return try rows.map { row in try Self.message(row, path: path) }
        }
    }

    /// How many rows are pending, in flight and dead.
    public func counts() async throws(AgentError) -> OutboxCounts {
        try await read("count messages") { db in try Self.counts(db) }
    }

    /// How long the oldest undelivered (pending or in-flight) message has
    /// waited, or `nil` when there is none.
    public func oldestPendingAge(now: Int64? = nil) async throws(AgentError) -> Duration? {
        let now = now ?? wallClock.unixMilliseconds()
        let oldest = try await read("find the oldest message") { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(created_at) FROM messages WHERE state IN ('pending', 'in_flight')")
        }
        return oldest.map { .milliseconds(max(0, now - $0)) }
    }

    /// The messages that failed at least once and wait for another attempt,
    /// with the one that failed most, for `status`.
    public func retries() async throws(AgentError) -> OutboxRetries {
        try await read("count retried messages") { db in
            let count = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM messages WHERE state IN ('pending', 'in_flight') AND last_error IS NOT NULL
                """) ?? 0
            let worst = try Row.fetchOne(db, sql: """
                SELECT msg_id, attempts, last_error, next_attempt_at FROM messages
                WHERE state IN ('pending', 'in_flight') AND last_error IS NOT NULL
                ORDER BY attempts DESC, id LIMIT 1
                """).map { row in
                OutboxRetries.Worst(
                    msgID: row["msg_id"], attempts: row["attempts"], lastError: row["last_error"],
                    nextAttemptAt: row["next_attempt_at"])
            }
            return OutboxRetries(messages: count, worst: worst)
        }
    }

    /// When the earliest pending row is due (Unix ms), or `nil` when nothing
    /// is pending: how long a delivery loop may sleep when a retry is waiting
    /// out its backoff.
    public func nextAttemptTime() async throws(AgentError) -> Int64? {
        try await read("find the next due message") { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM messages WHERE state = 'pending'")
        }
    }

    /// The most recently delivered messages, newest first (at most `historyLimit`).
    public func history(limit: Int = 100) async throws(AgentError) -> [OutboxHistoryEntry] {
        let path = path
        return try await read("read the delivery history") { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.historyColumns) FROM history ORDER BY id DESC LIMIT ?
                """, arguments: [limit])
            .map { row in try Self.historyEntry(row, path: path) }
        }
    }

    /// Where the message with wire id `msgID` is: still in the outbox
    /// (pending, in flight or dead), answered (in the history), or unknown
    /// (never enqueued here, purged, or trimmed from the history).
    public func lookup(msgID: String) async throws(AgentError) -> OutboxLookup {
        let path = path
        return try await read("look up a message") { db in
            if let row = try Row.fetchOne(db, sql: """
                SELECT \(Self.messageColumns) FROM messages WHERE msg_id = ?
                """, arguments: [msgID]) {
                return .queued(try Self.message(row, path: path))
            }
            if let row = try Row.fetchOne(db, sql: """
                SELECT \(Self.historyColumns) FROM history WHERE msg_id = ? ORDER BY id DESC LIMIT 1
                """, arguments: [msgID]) {
                return .answered(try Self.historyEntry(row, path: path))
            }
            return .unknown
        }
    }

    // MARK: - Agent status

    /// Stores one value of the running agent's status; `nil` removes it.
    public func setState(_ key: AgentStateKey, _ value: String?) async throws(AgentError) {
        try await setStates([key: value])
    }

    /// Stores several values of the agent's status in one transaction; a
    /// `nil` value removes its key.
    public func setStates(_ values: [AgentStateKey: String?]) async throws(AgentError) {
        let now = wallClock.unixMilliseconds()
        try await write("store the agent state") { db in
            for (key, value) in values {
                if let value {
                    try db.execute(sql: """
                        INSERT INTO agent_state (key, value, updated_at) VALUES (?, ?, ?)
                        ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                        """, arguments: [key.rawValue, value, now])
                } else {
                    try db.execute(sql: "DELETE FROM agent_state WHERE key = ?", arguments: [key.rawValue])
                }
            }
        }
    }

    /// Adds one to the counter stored under `key`.
    public func countRefusal(_ key: AgentStateKey) async throws(AgentError) {
        let now = wallClock.unixMilliseconds()
        try await write("count a refusal") { db in
            try db.execute(sql: """
                INSERT INTO agent_state (key, value, updated_at) VALUES (?, '1', ?)
                ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1, updated_at = excluded.updated_at
                """, arguments: [key.rawValue, now])
        }
    }

    /// The stored agent status, as last written (possibly by an agent that
    /// has since stopped).
    public func state() async throws(AgentError) -> [AgentStateKey: String] {
        try await read("read the agent state") { db in
            var state: [AgentStateKey: String] = [:]
            // outbox_id is the outbox's identity (OutboxIdentity), not agent status.
            for row in try Row.fetchAll(db, sql: "SELECT key, value FROM agent_state WHERE key != 'outbox_id'") {
                state[AgentStateKey(row["key"] as String)] = row["value"] as String
            }
            return state
        }
    }

    /// When `key` was last written (Unix ms), or `nil` if it is not set.
    public func stateUpdatedAt(_ key: AgentStateKey) async throws(AgentError) -> Int64? {
        try await read("read the agent state") { db in
            try Int64.fetchOne(db, sql: "SELECT updated_at FROM agent_state WHERE key = ?", arguments: [key.rawValue])
        }
    }

    /// Records a finished handler run; only the newest ``handlerRunLimit`` are kept.
    public func recordHandlerRun(_ run: HandlerRunRecord) async throws(AgentError) {
        let limit = Self.handlerRunLimit
        try await write("record a handler run") { db in
            try db.execute(sql: """
                INSERT INTO handler_runs (name, status, duration_ms, finished_at, error) VALUES (?, ?, ?, ?, ?)
                """, arguments: [run.name, run.status.rawValue, run.duration.wholeMilliseconds, run.finishedAt, run.error])
            try Self.trim(db, table: "handler_runs", keeping: limit)
        }
    }

    /// The most recent handler runs, newest first.
    public func recentHandlerRuns(limit: Int = Outbox.handlerRunLimit) async throws(AgentError) -> [HandlerRunRecord] {
        let path = path
        return try await read("read handler runs") { db in
            try Row.fetchAll(db, sql: """
                SELECT name, status, duration_ms, finished_at, error FROM handler_runs ORDER BY id DESC LIMIT ?
                """, arguments: [limit])
            .map { row in try Self.handlerRun(row, path: path) }
        }
    }

    // MARK: - Helpers

    private static let historyColumns = "msg_id, type, status, error, attempts, created_at, delivered_at, result"

    private static let messageColumns = """
        id, msg_id, type, payload, wait_ack, state, attempts, created_at, last_attempt_at, last_error, next_attempt_at,
        last_status
        """

    func write<T: Sendable>(_ action: String, _ body: @Sendable (Database) throws -> T) async throws(AgentError) -> T {
        do {
            return try await database.write(body)
        } catch {
            throw storageError(action, error)
        }
    }

    func read<T: Sendable>(_ action: String, _ body: @Sendable (Database) throws -> T) async throws(AgentError) -> T {
        do {
            return try await database.read(body)
        } catch {
            throw storageError(action, error)
        }
    }

    private func updateOne(_ id: Int64, _ action: String, sql: String, arguments: StatementArguments) async throws(AgentError) {
        let path = path
        try await write(action) { db in
            try db.execute(sql: sql, arguments: arguments)
            if db.changesCount == 0 {
                throw AgentError(.notFound, "message \(id) is not in the outbox \(path); it was already delivered or purged")
            }
        }
    }

    private func storageError(_ action: String, _ error: any Error) -> AgentError {
        if let error = error as? AgentError {
            return error
        }
        if error is CancellationError {
            return AgentError(.storage, "cancelled before the outbox \(path) could \(action); nothing was changed")
        }
        if let error = error as? DatabaseError, error.resultCode == .SQLITE_BUSY {
            return AgentError(.storage, "could not \(action): the outbox \(path) stayed locked by another process for more than 5 s; check for a stuck quicflow-agent process")
        }
        if let corrupt = Self.corruption(path, error) {
            return corrupt
        }
        return AgentError(.storage, "could not \(action) in the outbox \(path): \(Self.describe(error)); check free disk space and that the file is writable by this user")
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "SQLite error \(error.extendedResultCode.rawValue): \(error.message ?? "\(error)")"
        }
        return "\(error)"
    }

    private static func message(_ row: Row, path: String) throws(AgentError) -> OutboxMessage {
        let typeName: String = row["type"]
        let stateName: String = row["state"]
        guard let type = MessageType(rawValue: typeName), let state = OutboxMessage.State(rawValue: stateName) else {
            throw unknownRow("a message (id \(row["id"] as Int64)) of type \(typeName), state \(stateName)", path: path)
        }
        let payload: Data = row["payload"]
        return OutboxMessage(
            id: row["id"], msgID: row["msg_id"], type: type, payload: [UInt8](payload),
            state: state, attempts: row["attempts"],
            createdAt: row["created_at"], lastAttemptAt: row["last_attempt_at"],
            lastError: row["last_error"], nextAttemptAt: row["next_attempt_at"],
            lastStatus: (row["last_status"] as String?).flatMap(Response.Status.init(rawValue:))
        )
    }

    private static func historyEntry(_ row: Row, path: String) throws(AgentError) -> OutboxHistoryEntry {
        let typeName: String = row["type"]
        let statusName: String = row["status"]
        guard let type = MessageType(rawValue: typeName), let status = Response.Status(rawValue: statusName) else {
            throw unknownRow("a history entry of type \(typeName), status \(statusName)", path: path)
        }
        let result: Data? = row["result"]
        return OutboxHistoryEntry(
            msgID: row["msg_id"], type: type, status: status, error: row["error"],
            attempts: row["attempts"], createdAt: row["created_at"], deliveredAt: row["delivered_at"],
            result: result.map { [UInt8]($0) } ?? []
        )
    }

    private static func handlerRun(_ row: Row, path: String) throws(AgentError) -> HandlerRunRecord {
        let statusName: String = row["status"]
        guard let status = Response.Status(rawValue: statusName) else {
            throw unknownRow("a handler run with status \(statusName)", path: path)
        }
        return HandlerRunRecord(
            name: row["name"], status: status, duration: .milliseconds(row["duration_ms"] as Int64),
            finishedAt: row["finished_at"], error: row["error"]
        )
    }

    private static func unknownRow(_ what: String, path: String) -> AgentError {
        AgentError(.storage, "the outbox \(path) holds \(what) that this agent does not understand; it was probably written by a newer agent: upgrade this one")
    }

    private static func counts(_ db: Database) throws -> OutboxCounts {
        var counts = OutboxCounts()
        for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM messages GROUP BY state") {
            let n: Int = row["n"]
            switch OutboxMessage.State(rawValue: row["state"] as String) {
            case .pending: counts.pending = n
            case .inFlight: counts.inFlight = n
            case .dead: counts.dead = n
            case nil: break
            }
        }
        return counts
    }

    /// Deletes all but the newest `limit` rows of `table` (ids ascend).
    private static func trim(_ db: Database, table: String, keeping limit: Int) throws {
        try db.execute(sql: """
            DELETE FROM \(table) WHERE id <= (SELECT id FROM \(table) ORDER BY id DESC LIMIT 1 OFFSET ?)
            """, arguments: [limit])
    }
}
