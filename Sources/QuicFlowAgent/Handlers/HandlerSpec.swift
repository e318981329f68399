/// How to run one handler executable: what ``HandlerRunner`` needs to run a
/// device command, query or event handler.
///
/// The configuration file produces these; the runner checks the values when
/// it runs them (an executable that is missing or unsafe is answered with
/// FAILURE, never a crash).
public struct HandlerSpec: Sendable, Hashable {
    /// Default of ``timeout``: 30 seconds.
    public static let defaultTimeout: Duration = .seconds(30)
    /// Default of ``maxOutput``: 1 MiB.
    public static let defaultMaxOutput = 1 << 20
    /// Default of ``concurrency``: 4.
    public static let defaultConcurrency = 4

    /// Absolute path of the executable. It is run directly, never through a
    /// shell.
    public var executable: String
    /// Arguments passed after the executable's name.
    public var arguments: [String]
    /// How long a run may take before its process group is stopped and the
    /// run is answered with TIMEOUT.
    public var timeout: Duration
    /// Most bytes of standard output kept as the result; the rest is read and
    /// discarded.
    public var maxOutput: Int
    /// Most runs of this executable at once; further runs wait their turn.
    public var concurrency: Int
    /// Account to run as (the agent must be root to switch); `nil` keeps the
    /// agent's own.
    public var user: String?
    /// Variables added to the handler's environment.
    public var environment: [String: String]

    /// Creates a handler specification.
    public init(
        executable: String,
        arguments: [String] = [],
        timeout: Duration = HandlerSpec.defaultTimeout,
        maxOutput: Int = HandlerSpec.defaultMaxOutput,
        concurrency: Int = HandlerSpec.defaultConcurrency,
        user: String? = nil,
        environment: [String: String] = [:]
    ) {
        self.executable = executable
        self.arguments = arguments
        self.timeout = timeout
        self.maxOutput = maxOutput
        self.concurrency = concurrency
        self.user = user
        self.environment = environment
    }
}
