import ArgumentParser
import Foundation
import Logging
import QuicFlow
import QuicFlowServerApp
import ServiceLifecycle
import UnixSignals

/// `quicflow-server serve`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the backbone and its admin API until SIGTERM or SIGINT.",
        discussion: "Exit status 78 for invalid settings (a missing certificate, an open admin listener without a token)."
    )

    @Option(help: ArgumentHelp("QUIC listen address.", valueName: "host:port"))
    var listen = "0.0.0.0:8474"
    @Option(help: ArgumentHelp("PEM certificate chain of the server.", valueName: "file"))
    var cert: String
    @Option(help: ArgumentHelp("PEM private key of the server.", valueName: "file"))
    var key: String
    @Option(help: ArgumentHelp("PEM CA that signs client certificates (mTLS).", valueName: "file"))
    var clientCA: String?
    @Flag(help: "Require a client certificate; each session is bound to its certificate's identity.")
    var requireClientCert = false
    @Option(help: ArgumentHelp("Admin HTTP API listen address.", valueName: "host:port"))
    var adminListen = "127.0.0.1:8475"
    @Option(help: ArgumentHelp("File holding the admin bearer token (required unless the admin API is loopback-only).", valueName: "file"))
    var adminTokenFile: String?
    @Option(help: ArgumentHelp("Most connected clients.", valueName: "n"))
    var maxClients = 10_000
    @Option(help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel = "info"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "quicflow.server")
        let app: ServerApp
        do {
            let quic = try ListenAddress(listen, flag: "--listen")
            let adminAddress = try ListenAddress(adminListen, flag: "--admin-listen")
            let token = try adminTokenFile.map { (file: String) throws(ServerAppError) in try AdminConfiguration.readToken(file: file) }
            let admin = try AdminConfiguration(host: adminAddress.host, port: adminAddress.port, token: token)
            let backbone = try ServerConfiguration(
                host: quic.host, port: quic.port, certificateFile: cert, keyFile: key, clientCAFile: clientCA,
                requireClientCertificate: requireClientCert, maxClients: maxClients)
            app = ServerApp(backbone: backbone, admin: admin, logger: logger)
        } catch let error as ServerAppError {
            FileHandle.standardError.write(Data("quicflow-server: \(error.message)\n".utf8))
            throw ExitCode(78)
        } catch let error as QuicFlowError {
            FileHandle.standardError.write(Data("quicflow-server: \(error.message)\n".utf8))
            throw ExitCode(78)
        }
        await app.prepare()
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: app.services().map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        let announce = Task {
            if let quic = await app.backboneListeningAddress(), let admin = await app.adminListeningAddress() {
                logger.notice("quicflow-server listening", metadata: ["quic": "\(quic)", "admin": "\(admin)"])
            }
        }
        defer { announce.cancel() }
        do {
            try await group.run()
        } catch {
            FileHandle.standardError.write(Data("quicflow-server: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
