/// What a ``ReceivedLog`` knows of a message from a device when it arrives
/// (by sender and msg_id).
public enum ReceivedLookup: Sendable, Hashable {
    /// Never seen: handle it, then record its answer.
    case new
    /// Handled before (perhaps by the server's previous run): send this
    /// answer again, do not handle it again.
    case answered(Response)
    /// A previous run began handling it and stopped (a crash) before its
    /// answer was recorded: it may or may not have been handled, so it is
    /// handled again and marked as redelivered.
    case interrupted
    /// This run is handling it right now.
    case inProgress
}
