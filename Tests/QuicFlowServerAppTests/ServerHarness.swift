import Foundation
import Logging
import NIOCore
import QUICTestSupport
import QuicFlow
import QuicFlowAgent
import QuicFlowCtl
import QuicFlowServerApp
import ServiceLifecycle
import QuicFlowTime
import QuicFlowHooks

/// A `ServerApp` running in this process on loopback, with a token, a data
/// directory that outlives restarts and a fixed QUIC port.
final class ServerHarness: Sendable {
    static let token = "harness-token-0123456789"

    let directory: String
    let files: CertificateFiles
    let quicPort: Int
    let dataDirectory: String

    init() throws {
        directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "server-app")
        let authority = try TestCertificateAuthority()
        files = try authority.writeFiles(
            for: try authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"]),
            in: directory, name: "server")
        quicPort = TestPorts.restartable()
        dataDirectory = directory + "/data"
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A started server; stop it with ``Running/stop()``.
    struct Running: Sendable {
        let app: ServerApp
        let group: ServiceGroup
        let task: Task<Void, any Error>
        let admin: AdminClient

        func stop() async throws {
            await group.triggerGracefulShutdown()
            try await task.value
        }
    }

    func start(
        hook: HandlerConfiguration? = nil, persistent: Bool = true,
        deliveryBackoff: Backoff = ServerAppConfiguration.defaultDeliveryBackoff,
        messageTimeout: Duration = .seconds(30), port: Int? = nil, cluster: ClusterConfiguration? = nil
    ) async throws -> Running {
        // No test here is about eviction; a generous timeout keeps a device that
        // is slow to heartbeat under the suite's load from vanishing mid-test.
        let app = try ServerApp(ServerAppConfiguration(
            backbone: try ServerConfiguration(
                host: "127.0.0.1", port: port ?? quicPort, certificateFile: files.certificateFile, keyFile: files.keyFile,
                heartbeatInterval: .seconds(1), heartbeatTimeout: .seconds(20), defaultMessageTimeout: messageTimeout,
                serverID: cluster?.nodeID ?? "server"),
            admin: try AdminConfiguration(host: "127.0.0.1", port: 0, token: Self.token),
            dataDirectory: persistent && cluster == nil ? dataDirectory : nil,
            messageHook: hook, deliveryBackoff: deliveryBackoff, cluster: cluster))
        await app.prepare()
        let group = ServiceGroup(configuration: .init(services: app.services(), logger: Logger(label: "test")))
        let task = Task { try await group.run() }
        guard let port = await app.adminListeningAddress()?.port, await app.backboneListeningAddress() != nil else {
            throw HarnessError(description: "the server did not start")
        }
        return Running(app: app, group: group, task: task, admin: try AdminClient(url: "http://127.0.0.1:\(port)", token: Self.token))
    }

    /// A device client (not yet connected) that answers commands with "ran PAYLOAD".
    func device(_ id: String) async throws -> BackboneClient {
        let client = BackboneClient(configuration: try ClientConfiguration(
            clientID: id, caFile: files.caFile, initialBackoff: .milliseconds(100), maxBackoff: .milliseconds(500),
            heartbeatInterval: .seconds(1)))
        await client.register(for: .command) { message in
            if message.text.hasPrefix("slow") { try await Task.sleep(for: .seconds(1)) }
            return .success(text: "ran " + message.text)
        }
        return client
    }

    func connect(_ client: BackboneClient, port: Int? = nil) async throws {
        try await client.connect(host: "127.0.0.1", port: port ?? quicPort, serverName: "localhost")
    }

    struct HarnessError: Error, CustomStringConvertible {
        let description: String
    }
}

extension AdminReply {
    /// The body as a JSON object.
    func json() throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:]
    }
}

extension AdminClient {
    func post(_ path: String, _ json: String) async throws -> AdminReply {
        try await request("POST", path, body: Array(json.utf8))
    }
}
