import Foundation
import Logging
import NIOCore
import QUICTransport
import QuicFlow

/// A backbone server in this process with throwaway certificates, and
/// clients for it: the setting of the rtt, rps, bulk and handshakes workloads.
final class BenchBackbone: Sendable {
    let directory: String
    let files: BenchCertificates
    let server: BackboneServer
    let port: Int
    /// DATA messages the server has handled.
    let received = Counter()

    static let maxMessageSize = 2 << 20

    init(maxClients: Int = 20_000) async throws {
        files = try BenchCertificates.make(prefix: "quicflow-bench")
        directory = files.directory
        var logger = Logger(label: "bench.server")
        logger.logLevel = .warning
        server = BackboneServer(configuration: try ServerConfiguration(
            host: "127.0.0.1", port: 0, certificateFile: files.certificateFile, keyFile: files.keyFile,
            maxClients: maxClients, heartbeatInterval: .seconds(60), heartbeatTimeout: .seconds(600),
            maxMessageSize: Self.maxMessageSize), logger: logger)
        let received = self.received
        for type in [MessageType.event, .command, .query] {
            await server.register(for: type) { _ in
                received.increment()
                return .success()
            }
        }
        try await server.start()
        guard let port = await server.localAddress?.port else { throw BenchError("the server has no port") }
        self.port = port
    }

    /// A client configuration for this server (one-minute heartbeats, so
    /// they do not disturb the measurement).
    func clientConfiguration(_ id: String, workers: Int = 4) throws -> ClientConfiguration {
        try ClientConfiguration(
            clientID: id, caFile: files.caFile, reconnectEnabled: false, heartbeatInterval: .seconds(60),
            heartbeatTimeout: .seconds(30), maxMessageSize: Self.maxMessageSize, dispatcherWorkers: workers)
    }

    /// A connected client.
    func connectedClient(_ id: String, endpoint: QUICEndpoint? = nil) async throws -> BackboneClient {
        let client = BackboneClient(
            configuration: try clientConfiguration(id), logger: Self.quietLogger, endpoint: endpoint)
        try await client.connect(host: "127.0.0.1", port: port, serverName: "localhost")
        return client
    }

    func close() async {
        await server.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    static let quietLogger: Logger = {
        var logger = Logger(label: "bench.client")
        logger.logLevel = .critical
        return logger
    }()
}
