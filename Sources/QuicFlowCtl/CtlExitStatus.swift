/// The exit statuses of `quicflowctl`, so that scripts can tell a device's
/// answer from a problem with the request.
public enum CtlExitStatus: Int32, Sendable {
    /// Done; for `send`, the device answered SUCCESS (or the message was
    /// queued or sent without waiting).
    case success = 0
    /// The device answered FAILURE.
    case failure = 1
    /// No answer in time (the ACK timed out).
    case timeout = 2
    /// The client is not connected (unknown or offline).
    case offline = 3
    /// The request itself failed: the admin API was unreachable, refused the
    /// token, or refused the request.
    case requestFailed = 4

    /// The status for an acknowledgement's status (`success`, `failure`,
    /// `timeout`; `sent` and `queued` count as success).
    public init(ackStatus: String) {
        switch ackStatus.lowercased() {
        case "failure": self = .failure
        case "timeout": self = .timeout
        default: self = .success
        }
    }
}
