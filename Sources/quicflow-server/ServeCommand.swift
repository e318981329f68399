import ArgumentParser
import Foundation
import Logging
import QuicFlowConfigFile
import QuicFlow
import QuicFlowServerApp
import ServiceLifecycle
import UnixSignals

/// `quicflow-server serve`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the backbone and its admin API until SIGTERM or SIGINT.",
        discussion: """
            Settings come from the --config file (TOML; see server.conf.example), then from flags, \
            which override it. Exit status 78 for invalid settings (a missing certificate, an open \
            admin listener without a token, a broken config file).
            """
    )

    @OptionGroup var options: ServerOptions

    func run() async throws {
        let settings: ServerSettings
        let app: ServerApp
        let logger: Logger
        do throws(ServerAppError) {
            settings = try options.settings()
            let checked = try settings.validated()
            let level = Logger.Level(rawValue: settings.logLevel) ?? .info
            guard let format = LogLineHandler.Format(rawValue: options.logFormat) else {
                throw ServerAppError(.invalidConfiguration, "--log-format \(options.logFormat) is not a format; use \(LogLineHandler.formatNames.joined(separator: " or "))")
            }
            LoggingSystem.bootstrap { label in
                LogLineHandler(label: label, format: format, level: level)
            }
            logger = Logger(label: "quicflow.server")
            app = try ServerApp(checked, logger: logger)
        } catch where error.code == .alreadyRunning {
            FileHandle.standardError.write(Data("quicflow-server: \(error.message)\n".utf8))
            throw ExitCode(1)
        } catch {
            FileHandle.standardError.write(Data("quicflow-server: \(error.message)\n".utf8))
            throw ExitCode(78)
        }
        await app.prepare()
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: app.services().map { .init(service: $0) } + [
                // Type=notify: READY=1 once both listeners are bound, WATCHDOG=1 through the backbone's actor.
                .init(service: SystemdNotifierService(
                    ready: {
                        let quic = await app.backboneListeningAddress()?.hostPort ?? "?"
                        let admin = await app.adminListeningAddress()?.hostPort ?? "?"
                        logger.notice("quicflow-server listening", metadata: ["quic": "\(quic)", "admin": "\(admin)"])
                        return "listening: QUIC \(quic), admin \(admin)"
                    },
                    probe: { await app.probe() }))
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch {
            FileHandle.standardError.write(Data("quicflow-server: \(app.describe(runError: error))\n".utf8))
            throw ExitCode(1)
        }
    }
}
