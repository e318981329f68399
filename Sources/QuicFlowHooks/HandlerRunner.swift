import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
package import Musl
#elseif canImport(Darwin)
package import Darwin
#endif
public import Logging
public import QuicFlow
import Subprocess
#if canImport(System)
package import System
#else
import SystemPackage
import QuicFlowTime
#endif

/// Runs device command, query and event handlers: plain executables that
/// read the message payload on standard input and write their result on
/// standard output.
///
/// ## How a handler is run
///
/// - The executable is started directly with ``HandlerConfiguration/arguments``,
///   never through a shell, so nothing in a message is ever interpreted.
/// - Standard input carries the payload, then end-of-file.
/// - The environment is not inherited. It holds the agent's own `PATH`,
///   `HOME` and `LANG` (the user's home when ``HandlerConfiguration/user`` applies),
///   then ``HandlerConfiguration/environment``, then `QUICFLOW_MSG_ID`,
///   `QUICFLOW_MSG_TYPE`, `QUICFLOW_SENDER_ID`, `QUICFLOW_CLIENT_ID` and,
///   for named commands only, `QUICFLOW_COMMAND`. Later entries win, so a
///   handler can trust the `QUICFLOW_` values.
/// - Standard output, up to ``HandlerConfiguration/maxOutput`` bytes, is the result.
///   Output past that is read and thrown away (the handler is not stopped)
///   and the error notes `output truncated at N bytes`.
/// - Exit 0 is SUCCESS. Another exit code is FAILURE with
///   `exit N: ` and the last 1 KiB of standard error; death by a signal is
///   FAILURE `killed by signal N`.
/// - Each handler runs in a session and process group of its own. After
///   ``HandlerConfiguration/timeout`` the whole group gets SIGTERM, and whatever is
///   still alive 2 seconds later gets SIGKILL, so processes the handler
///   started die with it; the answer is TIMEOUT
///   (`handler timed out after 30s`).
/// - When the handler exits on its own, whatever it left running in its
///   group or session (`sleep 300 &`) gets SIGTERM, then SIGKILL 2 seconds
///   later, and the count is logged at notice; the answer waits for that.
///   ``HandlerConfiguration/killLeftovers`` `false` keeps them instead.
///   Processes that left the session with `setsid` are ended too, but only
///   in a process that called ``adoptOrphans()`` (the agent daemon): see
///   ``HandlerOrphans``.
/// - With a ``HandlerGroupJournal``, each running handler's group is
///   recorded until its run is over, and ``endGroupsLeftRunning()`` ends the
///   groups a crashed predecessor left.
/// - At most ``HandlerConfiguration/concurrency`` runs of the same executable path
///   happen at once; further runs wait in arrival order. Specs that name the
///   same executable share one limit.
/// - Cancelling the calling task stops the handler's group the same way
///   (SIGTERM, SIGKILL 2 seconds later) and answers FAILURE.
///
/// ## Security
///
/// Before each run the executable is checked, and refused with FAILURE
/// (nothing is started) when it:
/// - is not an absolute path, does not exist, is not a regular file or is
///   not executable;
/// - is world-writable;
/// - is owned by a user other than root and the agent's own user.
///
/// Symbolic links are followed and the file they lead to is checked. The
/// directories holding handlers are not checked: keep them writable only by
/// root (or the agent's user), or a file could be swapped after the check.
///
/// ``HandlerConfiguration/user`` switches accounts only when the agent runs as root:
/// the handler then gets the user's uid, primary group and supplementary
/// groups (root's are dropped) and its home as `HOME`. An agent that is not
/// root refuses such a handler with FAILURE, unless the user is the agent's
/// own: running it under the agent's account would give it more access than
/// the configuration asked for (the agent's keys and database, for one).
///
/// The agent ignores SIGPIPE once a runner exists, so that a handler which
/// exits without reading its input cannot kill the agent; handlers still
/// start with every signal at its default.
public struct HandlerRunner: Sendable {
    /// How long the process group has between SIGTERM and SIGKILL.
    public static let killGracePeriod: Duration = .seconds(2)
    /// How much of standard error a FAILURE keeps.
    public static let errorTailLimit = 1024

    private static let fallbackPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    // Writing a payload to a handler that has already exited raises
    // SIGPIPE, whose default action would end the agent; ignored, the write
    // just fails with EPIPE.
    private static let ignoreBrokenPipes: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()

    private let limiter = HandlerConcurrencyLimiter()
    private let baseEnvironment: [String: String]
    private let logger: Logger
    private let journal: (any HandlerGroupJournal)?
    /// Between SIGTERM and SIGKILL for this runner's groups.
    private let killGrace: Duration

    /// Creates a runner. Runners are cheap to copy; copies share their
    /// concurrency limits.
    /// - Parameters:
    ///   - logger: Where refusals, timeouts, failures to start and ended
    ///     leftovers are reported.
    ///   - journal: Where the process group of each running handler is
    ///     recorded, for ``endGroupsLeftRunning()``; `nil` records nothing.
    ///   - killGrace: Between SIGTERM and SIGKILL (``killGracePeriod``).
    public init(
        logger: Logger = Logger(label: "quicflow.agent.handlers"), journal: (any HandlerGroupJournal)? = nil,
        killGrace: Duration = HandlerRunner.killGracePeriod
    ) {
        Self.ignoreBrokenPipes
        self.logger = logger
        self.journal = journal
        self.killGrace = killGrace
        var environment: [String: String] = [:]
        for name in ["PATH", "HOME", "LANG"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        if environment["PATH"] == nil { environment["PATH"] = Self.fallbackPath }
        self.baseEnvironment = environment
    }

    /// Runs the handler `spec` describes for `message` and says how it went.
    ///
    /// Never throws: every problem (refused file, unknown user, failure to
    /// start, timeout, cancellation) becomes an outcome.
    /// - Parameters:
    ///   - spec: The handler to run.
    ///   - message: The message it handles; its payload goes to standard
    ///     input.
    ///   - clientID: This agent's client id (`QUICFLOW_CLIENT_ID`).
    ///   - command: The command's name for a named command handler
    ///     (`QUICFLOW_COMMAND`); `nil` for the generic handlers.
    public func run(
        _ spec: HandlerConfiguration,
        message: IncomingMessage,
        clientID: String,
        command: String?
    ) async -> HandlerOutcome {
        let launch: HandlerLaunch
        do {
            launch = try prepare(spec, message: message, clientID: clientID, command: command)
        } catch {
            logger.warning("handler refused", metadata: ["handler": "\(spec.executable)", "error": "\(error)"])
            return HandlerOutcome(status: .failure, error: error.message)
        }

        do {
            try await limiter.acquire(spec.executable, limit: spec.concurrency)
        } catch {
            return HandlerOutcome(status: .failure, error: "handler \(spec.executable) cancelled while waiting for a free slot")
        }
        let outcome = await execute(launch, spec: spec)
        await limiter.release(spec.executable)

        let metadata: Logger.Metadata = [
            "handler": "\(spec.executable)", "msg_id": "\(message.msgID)", "status": "\(outcome.status)",
            "duration": "\(outcome.duration.logText)",
        ]
        switch outcome.status {
        case .success: logger.debug("handler finished", metadata: metadata)
        case .failure: logger.info("handler failed: \(outcome.error)", metadata: metadata)
        case .timeout: logger.notice("handler timed out", metadata: metadata)
        }
        return outcome
    }

    /// Runs the handler and returns the acknowledgement to send:
    /// `run(...).response`.
    public func response(
        _ spec: HandlerConfiguration,
        message: IncomingMessage,
        clientID: String,
        command: String?
    ) async -> Response {
        await run(spec, message: message, clientID: clientID, command: command).response
    }

    // MARK: - Preparing

    /// Checks the file and the account and builds the launch; throws
    /// ``HookError`` with the reason to refuse.
    private func prepare(
        _ spec: HandlerConfiguration,
        message: IncomingMessage,
        clientID: String,
        command: String?
    ) throws(HookError) -> HandlerLaunch {
        try HandlerExecutableCheck.validate(spec.executable)

        let account = try HandlerUserAccount.switching(to: spec.user, for: spec.executable)

        var environment = baseEnvironment
        if let account { environment["HOME"] = account.home }
        for (name, value) in spec.environment {
            guard !name.isEmpty, !name.contains("="), !name.utf8.contains(0), !value.utf8.contains(0) else {
                throw HookError(.unrunnable, "handler \(spec.executable) has an invalid environment variable \"\(name)\"")
            }
            environment[name] = value
        }
        environment["QUICFLOW_MSG_ID"] = message.msgID
        environment["QUICFLOW_MSG_TYPE"] = message.type.rawValue
        environment["QUICFLOW_SENDER_ID"] = message.senderID
        environment["QUICFLOW_CLIENT_ID"] = clientID
        if let command {
            environment["QUICFLOW_COMMAND"] = command
        } else {
            // A spec's own `QUICFLOW_COMMAND` must not pose as a named command.
            environment["QUICFLOW_COMMAND"] = nil
        }

        var keyed: [Environment.Key: String] = [:]
        for (name, value) in environment {
            if let key = Environment.Key(rawValue: name) { keyed[key] = value }
        }

        var options = PlatformOptions()
        // A new session makes the handler the leader of its own process
        // group, so one signal reaches everything it started.
        options.createSession = true
        // Used when the calling task is cancelled.
        options.teardownSequence = [
            .gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: killGrace)
        ]
        var executable = spec.executable
        var arguments = spec.arguments
        if let account {
            // The switch is done by util-linux's setpriv, which then execs the
            // handler directly (same pid, no shell). Not by swift-subprocess:
            // its forked child calls setgroups(), which in glibc can deadlock
            // after a fork from a multithreaded process, leaving a child that
            // never execs and holds copies of all the agent's descriptors.
            guard FileManager.default.isExecutableFile(atPath: Self.setpriv) else {
                throw HookError(.unrunnable, "cannot run handler as user '\(account.name)': \(Self.setpriv) is missing; install util-linux (it provides setpriv)")
            }
            let groups = account.groups.isEmpty ? "--clear-groups" : "--groups=" + account.groups.map(String.init).joined(separator: ",")
            arguments = ["--reuid=\(account.uid)", "--regid=\(account.gid)", groups, "--", spec.executable] + spec.arguments
            executable = Self.setpriv
        }

        return HandlerLaunch(
            executable: executable,
            arguments: arguments,
            environment: .custom(keyed),
            platformOptions: options,
            payload: message.payload,
            maxOutput: spec.maxOutput
        )
    }

    /// util-linux's setpriv, which switches accounts before exec.
    package static let setpriv = "/usr/bin/setpriv"

    // MARK: - Running

    private enum Event: Sendable {
        case finished(HandlerLaunch.Result)
        case deadline
        case survivorsKilled
        case timerCancelled
    }

    /// Starts the process, enforces the timeout and turns the result into
    /// an outcome.
    private func execute(_ launch: HandlerLaunch, spec: HandlerConfiguration) async -> HandlerOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        let group = HandlerProcessGroup()
        let orphans = HandlerOrphans.shared
        let token = orphans.begin(killLeftovers: spec.killLeftovers)

        let result: HandlerLaunch.Result = await withTaskGroup(of: Event.self) { tasks in
            tasks.addTask {
                .finished(
                    await launch.run(
                        in: group,
                        started: { pid in
                            orphans.attach(token, leader: pid)
                            await self.recordStarted(pid, spec: spec, group: group)
                        },
                        exited: { pid in await self.cleanUp(after: pid, spec: spec, group: group) }))
            }
            tasks.addTask {
                do {
                    try await Task.sleep(for: spec.timeout)
                    return .deadline
                } catch {
                    return .timerCancelled
                }
            }
            var result: HandlerLaunch.Result?
            while let event = await tasks.next() {
                switch event {
                case .finished(let finished):
                    result = finished
                    // Once the group is being stopped, let the SIGKILL
                    // follow-up finish: the handler may be gone while
                    // processes it started ignore SIGTERM.
                    if !group.timedOut { tasks.cancelAll() }
                case .deadline:
                    // A deadline that loses the race to the end of the run
                    // (or of the handler itself) must not signal anything.
                    guard result == nil, group.terminateOnTimeout() else { break }
                    tasks.addTask {
                        await group.killSurvivors(after: killGrace)
                        return .survivorsKilled
                    }
                case .survivorsKilled, .timerCancelled:
                    break
                }
            }
            // The launch task always reports, so `result` is set here.
            return result ?? .failedToStart("handler \(launch.executable) did not report")
        }
        if Task.isCancelled, !group.timedOut, group.isAlive {
            // Cancellation's teardown stops once the handler itself is gone;
            // give what it started the same grace, then SIGKILL. A fresh task
            // because this one's cancellation would cut the grace short.
            await Task { await group.killSurvivors(after: killGrace) }.value
        }
        orphans.end(token)
        if spec.killLeftovers {
            // Processes that left the handler's session; a fresh task, so
            // that a cancelled caller does not cut their grace short.
            let logger = self.logger
            await Task { await orphans.sweep(grace: killGrace, logger: logger) }.value
        }
        let duration = start.duration(to: group.exitedAt ?? clock.now)

        switch result {
        case .failedToStart(let reason):
            return HandlerOutcome(status: .failure, error: reason, duration: duration)
        case .finished(let termination, let output, let errorTail):
            return Self.outcome(
                termination: termination, output: output, errorTail: errorTail, timedOut: group.timedOut,
                timeout: spec.timeout, duration: duration)
        }
    }

    private static func outcome(
        termination: HandlerLaunch.Termination,
        output: HandlerOutputPrefix,
        errorTail: HandlerErrorTail,
        timedOut: Bool,
        timeout: Duration,
        duration: Duration
    ) -> HandlerOutcome {
        var outcome = HandlerOutcome(
            status: .failure, result: output.bytes, duration: duration, truncated: output.truncated)
        switch termination {
        case .exited(let code): outcome.exitCode = code
        case .signaled(let signal): outcome.signal = signal
        }

        var reasons: [String] = []
        if timedOut {
            outcome.status = .timeout
            reasons.append("handler timed out after \(describe(timeout))")
        } else if Task.isCancelled {
            reasons.append("handler run cancelled")
        } else {
            switch termination {
            case .exited(0):
                outcome.status = .success
            case .exited(let code):
                let tail = errorTail.text
                reasons.append(tail.isEmpty ? "exit \(code)" : "exit \(code): \(tail)")
            case .signaled(let signal):
                reasons.append("killed by signal \(signal)")
            }
        }
        if output.truncated {
            reasons.append("output truncated at \(output.limit) bytes")
        }
        outcome.error = reasons.joined(separator: "; ")
        return outcome
    }

    // MARK: - Leftovers

    /// Records the started handler's group in the journal.
    private func recordStarted(_ pid: pid_t, spec: HandlerConfiguration, group: HandlerProcessGroup) async {
        guard let journal else { return }
        guard let leader = ProcessTable.entry(pid), let boot = ProcessTable.bootID() else {
            logger.debug("cannot record the handler's process group: no /proc", metadata: ["handler": "\(spec.executable)"])
            return
        }
        let record = HandlerGroupRecord(
            pgid: pid, executable: spec.executable, startedAt: WallClock.system.unixMilliseconds(), bootID: boot,
            leaderStartTicks: leader.startTicks)
        do {
            try await journal.recordStarted(record)
            group.record = record
        } catch {
            logger.warning("cannot record a running handler's process group; a restart after a crash will not end it", metadata: [
                "handler": "\(spec.executable)", "pgid": "\(pid)", "error": "\(error)",
            ])
        }
    }

    /// After the handler exited (not reaped yet, so `pid` still holds its
    /// group): ends what it left in its group and session, unless the spec
    /// keeps them and the run was neither timed out nor cancelled, then
    /// drops the journal's record.
    private func cleanUp(after pid: pid_t, spec: HandlerConfiguration, group: HandlerProcessGroup) async {
        if spec.killLeftovers || group.timedOut || Task.isCancelled {
            let ended = await HandlerLeftovers.endGroup(pid, grace: killGrace)
            if ended > 0 {
                logger.notice("ended \(HandlerLeftovers.count(ended)) that the handler left behind", metadata: [
                    "handler": "\(spec.executable)", "pgid": "\(pid)", "count": "\(ended)",
                ])
            }
        }
        guard let journal, let record = group.record else { return }
        do {
            try await journal.recordEnded(record)
        } catch {
            logger.warning("cannot remove the record of a finished handler's process group", metadata: [
                "handler": "\(spec.executable)", "pgid": "\(pid)", "error": "\(error)",
            ])
        }
    }

    /// Makes this process a child subreaper (Linux) so that processes a
    /// handler started and that left its session (`setsid`, a daemon's double
    /// fork) are re-parented to it rather than to init, where the end of a
    /// run with ``HandlerConfiguration/killLeftovers`` finds and ends them.
    /// For the agent daemon only: every child of a process that calls this
    /// and is not in its session may be taken for a handler's (see
    /// ``HandlerOrphans``). Returns whether it succeeded.
    @discardableResult
    public static func adoptOrphans() -> Bool {
        HandlerOrphans.shared.adopt()
    }

    /// Reaps adopted orphans that ended on their own, and ends those that
    /// came after their handler's run, every `interval` until the task is
    /// cancelled. Returns at once unless ``adoptOrphans()`` succeeded.
    public func sweepOrphans(every interval: Duration = .seconds(5)) async {
        let orphans = HandlerOrphans.shared
        guard orphans.isAdopting else { return }
        await orphans.sweep(every: interval, grace: killGrace, logger: logger)
    }

    /// Ends the handler process groups that a previous agent recorded in
    /// the journal and left running (it was killed while they ran), then
    /// forgets every record. A group is ended only while its leader is still
    /// the recorded process: same boot, same pid, same start time; one whose
    /// leader is gone is left alone, as its pid may belong to anyone now.
    /// Logged at warning, with each group's pgid and executable. Call it
    /// before the first run.
    public func endGroupsLeftRunning() async {
        guard let journal else { return }
        let records: [HandlerGroupRecord]
        do {
            records = try await journal.recordedGroups()
        } catch {
            logger.warning("cannot read the handlers a previous agent left running", metadata: ["error": "\(error)"])
            return
        }
        guard !records.isEmpty else { return }
        let boot = ProcessTable.bootID()
        for record in records {
            var ended = 0
            if record.bootID == boot, let leader = ProcessTable.entry(record.pgid),
                leader.startTicks == record.leaderStartTicks, leader.group == record.pgid, leader.session == record.pgid
            {
                ended = await HandlerLeftovers.endGroup(record.pgid, grace: killGrace)
            }
            do {
                try await journal.recordEnded(record)
            } catch {
                logger.warning("cannot remove the record of a handler the previous agent left", metadata: [
                    "pgid": "\(record.pgid)", "error": "\(error)",
                ])
            }
            // Logged once the record is gone too: the line says the cleanup is over.
            if ended > 0 {
                logger.warning(
                    "ended handler process group \(record.pgid) (\(record.executable)), left running by the previous agent: \(HandlerLeftovers.count(ended))",
                    metadata: ["pgid": "\(record.pgid)", "handler": "\(record.executable)", "count": "\(ended)"])
            }
        }
    }

    /// `30s`, or `500ms` / `1500ms` for durations that are not whole seconds.
    package static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if attoseconds == 0 { return "\(seconds)s" }
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return "\(milliseconds)ms"
    }
}
