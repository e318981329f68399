/// What the server remembers of the messages devices sent it, so that a
/// repeat of a msg_id (the device retries when an ACK was lost) is answered
/// again instead of handled twice (PROTOCOL.md, "Delivery de-duplication").
///
/// The contract, which every implementation passes
/// (`ReceivedLogContractTests`):
/// - ``beginHandling(sender:msgID:)`` is one atomic "insert if absent": of
///   two concurrent calls for the same message exactly one gets ``ReceivedLookup/new``.
/// - An answer recorded with ``recordAnswer(sender:msgID:_:)`` is what every
///   later ``beginHandling(sender:msgID:)`` of the message returns; a
///   forgotten one (``forgetHandling(sender:msgID:)``) is new again. (The
///   server records only SUCCESS answers and forgets failures, so that a
///   failure's repeat is handled again.)
/// - An answer is remembered at least for the window the implementation
///   was made with; ``purge(olderThan:)`` forgets older ones.
/// - A durable log (``isDurable``) survives a restart: a message a previous
///   run began and never answered is then ``ReceivedLookup/interrupted``.
///
/// This is the server's de-duplication. The agent's own `claimCommand`
/// (its outbox) is another thing: it makes a command run at most once on
/// the device across agent restarts, whatever the server does.
public protocol ReceivedLog: Sendable {
    /// Whether entries survive a restart of the process.
    var isDurable: Bool { get }

    /// Looks a message up and, when it is new (or left half-done by a
    /// previous run), records that this run is handling it.
    nonisolated(nonsending) func beginHandling(sender: String, msgID: String) async throws -> ReceivedLookup

    /// Records the answer of a message this run is handling; its repeats
    /// get this answer from now on.
    /// - Returns: whether an entry was answered (`false` when it was purged meanwhile).
    @discardableResult
    nonisolated(nonsending) func recordAnswer(sender: String, msgID: String, _ response: Response) async throws -> Bool

    /// Forgets a message whose handling failed, so that its repeat is handled again.
    nonisolated(nonsending) func forgetHandling(sender: String, msgID: String) async throws

    /// What the log holds for a message, without changing anything; `nil` when nothing.
    nonisolated(nonsending) func lookup(sender: String, msgID: String) async throws -> ReceivedLookup?

    /// Forgets answers older than `window`, and entries that runs which
    /// ended left half-done; this run's own in-progress entries stay.
    /// - Returns: how many entries were forgotten.
    @discardableResult
    nonisolated(nonsending) func purge(olderThan window: Duration) async throws -> Int

    /// How many answers the log remembers.
    nonisolated(nonsending) func answerCount() async throws -> Int
}
