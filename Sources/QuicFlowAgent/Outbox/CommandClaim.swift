public import QuicFlow

/// What ``Outbox/claimCommand(msgID:window:now:)`` found for a server
/// command's msg_id.
public enum CommandClaim: Sendable, Hashable {
    /// First time seen: it is now recorded as running; run the handler and
    /// record its outcome with ``Outbox/finishCommand(msgID:response:now:)``.
    case run
    /// Already answered within the window: send this response again.
    case answered(Response)
    /// Started earlier (at this Unix millisecond time) and never finished:
    /// the agent stopped or was killed while the handler ran. Its outcome
    /// is unknown, and running it again could do its work twice.
    case interrupted(startedAt: Int64)
}
