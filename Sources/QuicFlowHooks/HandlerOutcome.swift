public import QuicFlow

/// How one run of a handler executable ended, as ``HandlerRunner`` reports it.
///
/// ``response`` turns it into the acknowledgement QuicFlow sends back.
public struct HandlerOutcome: Sendable, Hashable {
    /// ``Response/Status/success`` when the handler exited 0,
    /// ``Response/Status/timeout`` when it ran past its timeout, and
    /// ``Response/Status/failure`` otherwise (non-zero exit, killed by a
    /// signal, refused or could not be started).
    public var status: Response.Status
    /// The handler's standard output, at most ``HandlerConfiguration/maxOutput`` bytes.
    public var result: [UInt8]
    /// Why it failed or timed out, plus a note when the output was truncated;
    /// empty for a plain success.
    public var error: String
    /// The exit code, when the process exited on its own.
    public var exitCode: Int32?
    /// The signal that ended the process, when one did.
    public var signal: Int32?
    /// How long the run took, from start to the process's end (not counting
    /// the wait for a free concurrency slot).
    public var duration: Duration
    /// Whether the handler wrote more than ``HandlerConfiguration/maxOutput`` bytes.
    public var truncated: Bool

    /// Creates an outcome.
    public init(
        status: Response.Status,
        result: [UInt8] = [],
        error: String = "",
        exitCode: Int32? = nil,
        signal: Int32? = nil,
        duration: Duration = .zero,
        truncated: Bool = false
    ) {
        self.status = status
        self.result = result
        self.error = error
        self.exitCode = exitCode
        self.signal = signal
        self.duration = duration
        self.truncated = truncated
    }

    /// The acknowledgement to send for this run: same status, result and
    /// error.
    public var response: Response {
        Response(status: status, result: result, error: error)
    }
}
