import Foundation
package import QuicFlowConfigFile

/// How to run one handler executable: a `[handlers.command]`,
/// `[handlers.query]`, `[handlers.event]` or `[commands.NAME]` table of the
/// configuration file.
///
/// ```toml
/// [commands.reboot]
/// exec = "/usr/local/lib/quicflow/handlers/reboot"
/// args = ["--delay", "5"]
/// timeout = "2m"
/// max_output = "64KiB"
/// concurrency = 1
/// user = "root"
/// env = { LANG = "C.UTF-8" }
/// kill_leftovers = true
/// ```
public struct HandlerConfiguration: Sendable, Hashable {
    /// Default of ``timeout``: 30 seconds.
    public static let defaultTimeout: Duration = .seconds(30)
    /// Default of ``maxOutput``: 1 MiB.
    public static let defaultMaxOutput = 1 << 20
    /// Default of ``concurrency``: 4.
    public static let defaultConcurrency = 4

    /// `exec`: absolute path of the executable (required).
    public let executable: String
    /// `args`: arguments passed after the executable's name; default none.
    public let arguments: [String]
    /// `timeout`: a run taking longer is stopped and answered with TIMEOUT;
    /// default 30s.
    public let timeout: Duration
    /// `max_output`: most bytes of output kept from one run; default 1MiB.
    public let maxOutput: Int
    /// `concurrency`: runs of this handler at once; default 4.
    public let concurrency: Int
    /// `user`: account to run as; `nil` (the default) keeps the agent's own.
    public let user: String?
    /// `env`: variables set for the handler; default none.
    public let environment: [String: String]
    /// `kill_leftovers`: whether processes the handler leaves behind are
    /// ended when it exits (its process group and session, and with the
    /// agent daemon also those that left them with `setsid`); default
    /// `true`. `false` keeps them running, for a handler that starts a
    /// long-lived helper on purpose. A timeout stops the group either way.
    public let killLeftovers: Bool

    /// Checks and stores a handler configuration, as the `[handlers.*]`
    /// and `[commands.*]` tables would.
    /// - Throws: ``HookError`` (`invalidConfiguration`) listing every
    ///   value that is out of range, named by its configuration key.
    public init(
        executable: String,
        arguments: [String] = [],
        timeout: Duration = HandlerConfiguration.defaultTimeout,
        maxOutput: Int = HandlerConfiguration.defaultMaxOutput,
        concurrency: Int = HandlerConfiguration.defaultConcurrency,
        user: String? = nil,
        environment: [String: String] = [:],
        killLeftovers: Bool = true
    ) throws(HookError) {
        let problems = ConfigurationProblems()
        if !executable.hasPrefix("/") {
            problems.report(
                "exec", "\(Quoted(executable)) is not an absolute path; give the full path of the executable, starting with /")
        }
        if timeout <= .zero {
            problems.report("timeout", "must be a positive duration, got \(timeout)")
        }
        if maxOutput < 1 {
            problems.report("max_output", "must be a positive size, got \(maxOutput)")
        }
        if concurrency < 1 {
            problems.report("concurrency", "must be at least 1, got \(concurrency)")
        }
        if user?.isEmpty == true {
            problems.report("user", "must not be empty")
        }
        if let error = problems.error(path: "the handler configuration") {
            throw HookError(.invalidConfiguration, error.message)
        }
        self.init(
            checkedExecutable: executable, arguments: arguments, timeout: timeout, maxOutput: maxOutput,
            concurrency: concurrency, user: user, environment: environment, killLeftovers: killLeftovers)
    }

    /// Stores values that are already checked.
    private init(
        checkedExecutable executable: String, arguments: [String], timeout: Duration, maxOutput: Int,
        concurrency: Int, user: String?, environment: [String: String], killLeftovers: Bool
    ) {
        self.executable = executable
        self.arguments = arguments
        self.timeout = timeout
        self.maxOutput = maxOutput
        self.concurrency = concurrency
        self.user = user
        self.environment = environment
        self.killLeftovers = killLeftovers
    }

    /// The keys a handler table may hold.
    package static let keys = ["exec", "args", "timeout", "max_output", "concurrency", "user", "env", "kill_leftovers"]

    /// Reads a handler table, reporting every problem with its full key
    /// name; `nil` when `exec` is missing or invalid (already reported).
    package init?(reading table: ConfigurationTable) {
        table.rejectUnknownKeys(known: Self.keys)
        if !table.contains("exec") {
            table.report("exec", "missing; give the absolute path of the handler executable")
        }
        let executable = table.absolutePath("exec", what: "the handler executable")
        let arguments = table.strings("args")
        let timeout = table.duration("timeout", example: Self.defaultTimeout)
        let maxOutput = table.byteSize("max_output", example: Self.defaultMaxOutput)
        let concurrency = table.integer("concurrency", atLeast: 1)
        let user = table.string("user")
        let environment = table.stringTable("env")
        let killLeftovers = table.bool("kill_leftovers")
        guard let executable else { return nil }
        self.init(
            checkedExecutable: executable, arguments: arguments ?? [], timeout: timeout ?? Self.defaultTimeout,
            maxOutput: maxOutput ?? Self.defaultMaxOutput, concurrency: concurrency ?? Self.defaultConcurrency,
            user: user, environment: environment ?? [:], killLeftovers: killLeftovers ?? true)
    }

    /// The same handler with `variables` added to its environment (they
    /// win over ``environment``'s own values of the same names).
    public func adding(environment variables: [String: String]) -> HandlerConfiguration {
        HandlerConfiguration(
            checkedExecutable: executable, arguments: arguments, timeout: timeout, maxOutput: maxOutput,
            concurrency: concurrency, user: user, environment: environment.merging(variables) { $1 },
            killLeftovers: killLeftovers)
    }
}

extension HandlerConfiguration {
    /// Checks now what a run would check before starting the executable:
    /// an absolute path to a regular, executable file, not world-writable,
    /// owned by root or by this process's user. For checks at start, so a
    /// daemon refuses a hook that could never run instead of failing each
    /// message.
    /// - Throws: ``HookError`` (`unrunnable`) saying which check failed.
    public func checkExecutable() throws(HookError) {
        try HandlerExecutableCheck.validate(executable)
    }

    /// Reports, under `key` (the table's dotted name, such as
    /// `commands.reboot`), every reason a run would refuse this handler
    /// before starting it: the file checks of ``checkExecutable()``, an
    /// unknown `user`, a `user` that this process cannot switch to, and a
    /// missing `setpriv` when it would have to switch.
    package func reportUnrunnable(as key: String, into problems: ConfigurationProblems) {
        do {
            try HandlerExecutableCheck.validate(executable)
        } catch {
            problems.report("\(key).exec", error.message)
        }
        do {
            if let account = try HandlerUserAccount.switching(to: user, for: executable),
                !FileManager.default.isExecutableFile(atPath: HandlerRunner.setpriv)
            {
                problems.report(
                    "\(key).user",
                    "running as '\(account.name)' needs \(HandlerRunner.setpriv), which is missing; install util-linux (it provides setpriv)")
            }
        } catch {
            problems.report("\(key).user", error.message)
        }
    }
}
