import QuicFlowConfigFile
import ArgumentParser
import Logging
import QuicFlow
import QuicFlowAgent
import ServiceLifecycle
import UnixSignals
import QuicFlowHooks

/// `quicflow-agent run`: the daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the agent until SIGTERM or SIGINT.",
        discussion: """
            On SIGTERM/SIGINT the agent stops taking new work, lets running handlers finish (up to \
            --shutdown-timeout), closes the session with code 0 and exits 0. An invalid configuration \
            exits 78 before anything starts; another agent on the same data_dir exits 1.
            """
    )

    @OptionGroup var options: ConfigOption

    @Option(help: ArgumentHelp("How long shutdown waits for running handlers.", valueName: "duration"))
    var shutdownTimeout: String = "30s"

    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel: String = "info"

    @Option(help: ArgumentHelp("text (message first, then key=value fields) or json (one object per line).", valueName: "format"))
    var logFormat: String = "text"

    func run() async throws {
        try await CommandFailure.reporting {
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw CommandFailure(.failure, "--log-level \(logLevel) is not a level; use trace, debug, info, notice, warning, error or critical")
            }
            guard let format = LogLineHandler.Format(rawValue: logFormat) else {
                throw CommandFailure(.failure, "--log-format \(logFormat) is not a format; use \(LogLineHandler.formatNames.joined(separator: " or "))")
            }
            let grace: Duration
            do throws(ConfigurationError) {
                grace = try DurationParser.parse(shutdownTimeout)
            } catch {
                throw CommandFailure(.failure, "--shutdown-timeout: \(error.message)")
            }
            let configuration = try options.load()
            LoggingSystem.bootstrap { label in
                LogLineHandler(label: label, format: format, level: level)
            }
            let logger = Logger(label: "quicflow.agent")
            let agent: AgentService
            do {
                agent = try AgentService(configuration: configuration, shutdownTimeout: grace, logger: logger)
            } catch let error as AgentError {
                throw CommandFailure(error)
            }
            logger.notice(
                "quicflow-agent starting",
                metadata: [
                    "config": "\(options.path)", "client_id": "\(configuration.clientID)",
                    "server": "\(configuration.server.host):\(configuration.server.port)",
                    "outbox": "\(configuration.outboxPath)",
                ])
            // Orphans of handlers, those that left their session with setsid
            // too, are re-parented to the agent, which ends them once their
            // handler's run is over (kill_leftovers).
            if !HandlerRunner.adoptOrphans() {
                logger.notice("cannot become a child subreaper: processes that handlers move out of their session (setsid) are not ended")
            }
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: [
                        .init(service: agent),
                        // Type=notify: READY=1 once the agent serves, WATCHDOG=1 through its actor.
                        .init(service: SystemdNotifierService(ready: { await agent.serving() }, probe: { await agent.probe() })),
                    ],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            do {
                try await group.run()
            } catch let error as AgentError {
                throw CommandFailure(error)
            } catch {
                throw CommandFailure(.failure, "\(error)")
            }
        }
    }
}
