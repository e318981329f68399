public import Foundation

/// Where the server keeps the messages it took for devices: those queued
/// for offline devices (store and forward) and the state and result of every
/// unicast, for lookups by msg_id and late RESPONSEs.
///
/// The contract, which every implementation passes
/// (`MessageRepositoryContractTests`), states the atomicity that callers
/// rely on, so that a shared database can give it too:
/// - ``insert(_:)`` is "insert if absent": a msg_id already stored is
///   refused with an error, never overwritten.
/// - ``update(_:state:status:result:error:late:)`` changes one entry in one
///   step; fields given as `nil` keep their value.
/// - ``expire()`` moves each queued entry whose time ran out to `expired`
///   exactly once: concurrent calls never both return the same entry.
/// - ``queued(for:)`` and ``clientsWithQueuedMessages()`` never return an
///   entry whose time ran out, expired or not yet.
/// - ``claimNext(for:margin:)`` hands the head of a device's queue to one
///   holder at a time: while a holder's claim runs, every other holder is
///   told ``QueueClaim/heldElsewhere``, so two cluster nodes never deliver
///   the same message at once nor out of order. A store that one process
///   owns (SQLite) has one holder, and its claim is the head itself.
public protocol MessageRepository: Sendable {
    /// Whether entries survive a restart of the process.
    var isDurable: Bool { get }

    /// Stores a new message.
    func insert(_ message: StoredMessage) async throws

    /// The message with `msgID`, if stored.
    func lookup(_ msgID: String) async throws -> StoredMessage?

    /// Moves a message to `state`, with the outcome fields that are given.
    /// - Returns: the message as stored now; `nil` when there is none.
    @discardableResult
    func update(
        _ msgID: String, state: MessageState, status: String?, result: Data?, error: String?, late: Bool
    ) async throws -> StoredMessage?

    /// The queued, unexpired messages for `clientID`, oldest first.
    func queued(for clientID: String) async throws -> [StoredMessage]

    /// The devices that have queued, unexpired messages.
    func clientsWithQueuedMessages() async throws -> [String]

    /// Claims the oldest queued, unexpired message of `clientID` for this
    /// holder, for the message's ACK timeout plus `margin`; a claim of the
    /// same holder is renewed, another holder's is honoured until it ends
    /// (or its holder is known dead).
    func claimNext(for clientID: String, margin: Duration) async throws -> QueueClaim

    /// Ends this holder's claim on `msgID` early (its delivery failed), so
    /// that the node the device is on next need not wait for it to run out.
    func releaseClaim(_ msgID: String) async throws

    /// How many messages are queued.
    func queuedCount() async throws -> Int

    /// Marks every queued message whose time ran out as expired.
    /// - Returns: the messages this call expired.
    func expire() async throws -> [StoredMessage]

    /// Drops finished messages (sent, delivered, expired) last changed more
    /// than `retention` ago, and whatever the implementation's own bound says.
    /// - Returns: how many were dropped.
    @discardableResult
    func purgeFinished(olderThan retention: Duration) async throws -> Int
}

extension MessageRepository {
    /// One holder owns the whole store: its claim is the head of the queue.
    public func claimNext(for clientID: String, margin: Duration) async throws -> QueueClaim {
        try await queued(for: clientID).first.map(QueueClaim.claimed) ?? .empty
    }

    /// One holder owns the whole store: there is no one to release to.
    public func releaseClaim(_ msgID: String) async throws {}

    /// Moves a message to `state`, keeping its outcome fields.
    @discardableResult
    public func update(_ msgID: String, state: MessageState) async throws -> StoredMessage? {
        try await update(msgID, state: state, status: nil, result: nil, error: nil, late: false)
    }
}
