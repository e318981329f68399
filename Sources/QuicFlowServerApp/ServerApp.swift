public import Hummingbird
public import Logging
public import QuicFlow
public import ServiceLifecycle
import NIOCore
import Synchronization

/// The backbone daemon: a ``BackboneServer`` plus its admin HTTP API,
/// as swift-service-lifecycle services for one `ServiceGroup`.
///
/// Messages from devices (events, queries, late responses) are answered
/// SUCCESS and logged.
public final class ServerApp: Sendable {
    /// The QUIC backbone.
    public let server: BackboneServer
    /// The admin API's settings.
    public let admin: AdminConfiguration
    private let logger: Logger
    private let adminAddress = Mutex<SocketAddress?>(nil)
    private let adminReady: AsyncStream<Void>
    private let adminReadySignal: AsyncStream<Void>.Continuation
    private let backboneReady: AsyncStream<Void>
    private let backboneReadySignal: AsyncStream<Void>.Continuation

    /// Prepares the server; ``services`` runs it.
    public init(backbone: ServerConfiguration, admin: AdminConfiguration, logger: Logger = Logger(label: "quicflow.server")) {
        self.server = BackboneServer(configuration: backbone, logger: logger)
        self.admin = admin
        self.logger = logger
        (adminReady, adminReadySignal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        (backboneReady, backboneReadySignal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Registers the handlers for messages from devices; call before running.
    public func prepare() async {
        let logger = self.logger
        for type in [MessageType.event, .query, .response] {
            await server.register(for: type) { message in
                logger.info("message from a device", metadata: [
                    "client_id": "\(message.senderID)", "type": "\(message.type)", "msg_id": "\(message.msgID)",
                    "bytes": "\(message.payload.count)",
                ])
                return .success()
            }
        }
    }

    /// The backbone and the admin HTTP server, to run in one `ServiceGroup`
    /// (the backbone first: the API answers from it).
    public func services() -> [any Service] {
        let router = AdminAPI.router(server: server, token: admin.token)
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(admin.host, port: admin.port), serverName: "quicflow-server"),
            onServerRunning: { [weak self] channel in
                self?.adminAddress.withLock { $0 = channel.localAddress }
                self?.adminReadySignal.yield()
            },
            logger: logger)
        return [BackboneService(server: server, started: backboneReadySignal), application]
    }

    /// The backbone's bound UDP address, once it listens (for port 0).
    public func backboneListeningAddress() async -> SocketAddress? {
        if let address = await server.localAddress { return address }
        for await _ in backboneReady { break }
        return await server.localAddress
    }

    /// The admin API's bound address, once it listens (for port 0).
    public func adminListeningAddress() async -> SocketAddress? {
        if let address = adminAddress.withLock({ $0 }) { return address }
        for await _ in adminReady { break }
        return adminAddress.withLock { $0 }
    }
}
