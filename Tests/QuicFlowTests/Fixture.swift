import NIOCore
import QUICTestSupport
import QUICTransport
import QuicFlow
import Synchronization
import Testing
import QuicFlowTime

/// Certificates and configurations for backbone tests on loopback.
struct Fixture: Sendable {
    let directory: String
    let server: CertificateFiles
    let authority: TestCertificateAuthority

    init() throws {
        directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "quicflow-tests")
        authority = try TestCertificateAuthority()
        server = try authority.writeFiles(
            for: try authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"]),
            in: directory, name: "server")
    }

    /// A client certificate whose common name is `clientID` (mTLS).
    func clientCertificate(_ clientID: String) throws -> CertificateFiles {
        try authority.writeFiles(for: try authority.issue(commonName: clientID), in: directory, name: "client-\(clientID)")
    }

    func serverConfiguration(
        port: Int = 0,
        maxClients: Int = 10_000,
        heartbeatTimeout: Duration = .seconds(45),
        registrationTimeout: Duration = .seconds(10),
        maxPromises: Int = 50_000,
        requireClientCertificate: Bool = false,
        dispatcherWorkers: Int = 10,
        dispatcherQueueSize: Int = 1_000,
        handlerTimeout: Duration = .seconds(30)
    ) throws -> ServerConfiguration {
        try ServerConfiguration(
            host: "127.0.0.1", port: port, certificateFile: server.certificateFile, keyFile: server.keyFile,
            clientCAFile: requireClientCertificate ? server.caFile : nil,
            requireClientCertificate: requireClientCertificate, maxClients: maxClients,
            heartbeatTimeout: heartbeatTimeout, registrationTimeout: registrationTimeout, maxPromises: maxPromises,
            dispatcherWorkers: dispatcherWorkers, dispatcherQueueSize: dispatcherQueueSize,
            handlerTimeout: handlerTimeout)
    }

    func clientConfiguration(
        _ clientID: String,
        certificate: CertificateFiles? = nil,
        reconnect: Bool = true,
        initialBackoff: Duration = .milliseconds(100),
        maxBackoff: Duration = .seconds(2),
        jitter: Double = 0,
        heartbeatInterval: Duration = .seconds(15),
        heartbeatTimeout: Duration = .seconds(5),
        dispatcherWorkers: Int = 4,
        dispatcherQueueSize: Int = 1_000,
        handlerTimeout: Duration = .seconds(30),
        handshakeTimeout: Duration = .seconds(10)
    ) throws -> ClientConfiguration {
        var transport = QUICSettings()
        transport.handshakeTimeout = handshakeTimeout
        return try ClientConfiguration(
            clientID: clientID, caFile: server.caFile, certificateFile: certificate?.certificateFile,
            keyFile: certificate?.keyFile, reconnectEnabled: reconnect, initialBackoff: initialBackoff,
            maxBackoff: maxBackoff, jitter: jitter, heartbeatInterval: heartbeatInterval,
            heartbeatTimeout: heartbeatTimeout,
            dispatcherWorkers: dispatcherWorkers, dispatcherQueueSize: dispatcherQueueSize,
            handlerTimeout: handlerTimeout, transport: transport)
    }

    /// Starts a server and returns it with its port.
    func startServer(_ configuration: ServerConfiguration, setup: (BackboneServer) async -> Void = { _ in }) async throws -> (BackboneServer, Int) {
        let server = BackboneServer(configuration: configuration)
        await setup(server)
        try await server.start()
        let port = try #require(await server.localAddress?.port)
        return (server, port)
    }

    /// Connects a client to `port`.
    func connectClient(
        _ configuration: ClientConfiguration, port: Int, setup: (BackboneClient) async -> Void = { _ in }
    ) async throws -> BackboneClient {
        let client = BackboneClient(configuration: configuration)
        await setup(client)
        try await client.connect(host: "127.0.0.1", port: port, serverName: "localhost")
        return client
    }
}

/// `quicflow_limit_refusals_total{limit="LIMIT"}` from the server's Prometheus text.
func refusals(_ server: BackboneServer, _ limit: String) async -> Int? {
    let prefix = "quicflow_limit_refusals_total{limit=\"\(limit)\"} "
    return await server.prometheusText().split(separator: "\n")
        .first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) }
}

struct Unexpected: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Takes up to `count` elements from `stream`, giving up after `timeout`
/// so that a missing element fails the test instead of hanging it.
func collect<T: Sendable>(_ count: Int, from stream: AsyncStream<T>, within timeout: Duration) async -> [T] {
    let items = Mutex<[T]>([])
    _ = await Race.withTimeoutForTests(timeout) {
        for await item in stream {
            let done = items.withLock { $0.append(item); return $0.count >= count }
            if done { break }
        }
    }
    return items.withLock { $0 }
}

enum Race {
    /// Runs `body` until it ends or `timeout` passes (then it is cancelled).
    static func withTimeoutForTests(_ timeout: Duration, _ body: @escaping @Sendable () async -> Void) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { await body(); return true }
            group.addTask { try? await Task.sleep(for: timeout); return false }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
    }
}
