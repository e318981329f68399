public import QuicFlow
import QuicFlowHooks

/// One finished run of a handler executable, kept so that
/// `quicflow-agent status` can show recent activity.
public struct HandlerRunRecord: Sendable, Hashable {
    /// The handler's name.
    public let name: String
    /// How the run ended.
    public let status: Response.Status
    /// How long it ran.
    public let duration: Duration
    /// When it finished, in Unix milliseconds.
    public let finishedAt: Int64
    /// Why it failed; empty on success.
    public let error: String

    /// Creates a record.
    public init(name: String, status: Response.Status, duration: Duration, finishedAt: Int64, error: String = "") {
        self.name = name
        self.status = status
        self.duration = duration
        self.finishedAt = finishedAt
        self.error = error
    }
}
