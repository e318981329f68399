import QuicFlowConfigFile
import ArgumentParser
import Logging
import QuicFlowAgent
import ServiceLifecycle
import UnixSignals

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

    func run() async throws {
        try await CommandFailure.reporting {
            guard let level = Logger.Level(rawValue: logLevel) else {
                throw CommandFailure(.failure, "--log-level \(logLevel) is not a level; use trace, debug, info, notice, warning, error or critical")
            }
            let grace: Duration
            do throws(ConfigurationError) {
                grace = try DurationParser.parse(shutdownTimeout)
            } catch {
                throw CommandFailure(.failure, "--shutdown-timeout: \(error.message)")
            }
            let configuration = try options.load()
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
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
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: [.init(service: agent)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
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
