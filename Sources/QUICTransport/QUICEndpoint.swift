public import Logging
public import NIOCore
public import NIOPosix

/// A UDP socket speaking QUIC: a server that accepts connections, or a
/// client from which many connections can be dialled.
///
/// All connections of an endpoint live on its socket's event loop; the
/// endpoint and its connections and streams are `Sendable` handles whose
/// methods hop to that loop.
///
/// ```swift
/// let server = try await QUICEndpoint.server(host: "127.0.0.1", port: 8474, configuration: config)
/// for await connection in server.incomingConnections { ... }
/// ```
public final class QUICEndpoint: Sendable {
    private let core: NIOLoopBound<EndpointCore>
    private let channel: any Channel
    /// The address the socket is bound to (with the real port when 0 was asked).
    public let localAddress: SocketAddress
    /// Connections whose handshake completed, for a server; empty for a
    /// client. Ends when the endpoint closes.
    public let incomingConnections: AsyncStream<QUICConnection>

    private var eventLoop: any EventLoop { channel.eventLoop }

    /// Binds a server endpoint. `host` is an IPv4 or IPv6 literal or a name.
    public static func server(
        host: String,
        port: Int,
        configuration: QUICEndpointConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "quic.endpoint")
    ) async throws -> QUICEndpoint {
        try await bind(host: host, port: port, isServer: true, configuration, eventLoopGroup, logger)
    }

    /// Binds a client endpoint, by default on an ephemeral IPv4 port; use
    /// `host: "::"` to reach IPv6 servers.
    public static func client(
        host: String = "0.0.0.0",
        port: Int = 0,
        configuration: QUICEndpointConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "quic.endpoint")
    ) async throws -> QUICEndpoint {
        try await bind(host: host, port: port, isServer: false, configuration, eventLoopGroup, logger)
    }

    private static func bind(
        host: String, port: Int, isServer: Bool, _ configuration: QUICEndpointConfiguration,
        _ group: any EventLoopGroup, _ logger: Logger
    ) async throws -> QUICEndpoint {
        try configuration.settings.validate()
        if let secret = configuration.statelessSecret, secret.count < 32 {
            throw QUICError(.invalidConfiguration, "statelessSecret must be at least 32 bytes, got \(secret.count)")
        }
        // Load certificates before binding so a bad file fails fast and
        // names itself; the context moves to the loop below.
        let tlsConfiguration = configuration.tls
        _ = try TLSContext(tlsConfiguration, isServer: isServer)

        let channel: any Channel
        do {
            // No SO_REUSEADDR: on Linux it lets two UDP sockets share one
            // port (even an ephemeral one), and datagrams then reach only
            // one of them. UDP has no TIME_WAIT, so a restarted server can
            // rebind its port without it.
            channel = try await DatagramBootstrap(group: group)
                .channelOption(.socketOption(.so_rcvbuf), value: 4 * 1024 * 1024)
                .channelOption(.socketOption(.so_sndbuf), value: 4 * 1024 * 1024)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: EndpointCore.receiveBufferSize))
                .channelOption(.maxMessagesPerRead, value: 32)
                .withBoundSocket(try CloseOnExecSocket.bound(host: host, port: port))
                .get()
        } catch let error as QUICError {
            throw error
        } catch {
            throw QUICError(.bindFailed, "cannot bind UDP \(host):\(port): \(error)")
        }
        guard let localAddress = channel.localAddress else {
            try? await channel.close()
            throw QUICError(.bindFailed, "the UDP socket for \(host):\(port) has no local address")
        }
        let (incoming, continuation) = AsyncStream.makeStream(of: QUICConnection.self)
        do {
            let core = try await channel.eventLoop.submit {
                let tls = try TLSContext(tlsConfiguration, isServer: isServer)
                let core = EndpointCore(
                    eventLoop: channel.eventLoop, isServer: isServer, configuration: configuration, tls: tls,
                    localAddress: localAddress, incoming: continuation, logger: logger)
                try channel.pipeline.syncOperations.addHandler(EndpointChannelHandler(core: core))
                return NIOLoopBound(core, eventLoop: channel.eventLoop)
            }.get()
            if !isServer { continuation.finish() }
            return QUICEndpoint(core: core, channel: channel, localAddress: localAddress, incoming: incoming)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    private init(
        core: NIOLoopBound<EndpointCore>, channel: any Channel, localAddress: SocketAddress,
        incoming: AsyncStream<QUICConnection>
    ) {
        self.core = core
        self.channel = channel
        self.localAddress = localAddress
        self.incomingConnections = incoming
    }

    /// Dials `host:port` and completes the handshake. `serverName` (default:
    /// `host`) is sent as SNI and checked against the server's certificate.
    public func connect(host: String, port: Int, serverName: String? = nil) async throws -> QUICConnection {
        let address: SocketAddress
        do {
            address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw QUICError(.addressResolution, "cannot resolve \(host):\(port): \(error)")
        }
        return try await connect(to: address, serverName: serverName ?? host)
    }

    /// Dials `address` and completes the handshake.
    public func connect(to address: SocketAddress, serverName: String?) async throws -> QUICConnection {
        let core = self.core
        return try await eventLoop.flatSubmit {
            core.value.connect(to: address, serverName: serverName)
        }.get()
    }

    /// Closes every connection with application error `code` and the
    /// socket. Connections end with ``QUICCloseReason/endpointClosed``.
    public func close(code: UInt64 = 0, reason: String = "endpoint closed") async {
        let core = self.core
        try? await eventLoop.submit { core.value.close(code: code, reason: reason) }.get()
        try? await channel.close()
    }

    /// Closes the socket without telling any peer, as a crash would; for
    /// tests of stateless reset and reconnection.
    func closeAbruptly() async {
        try? await channel.close()
    }

    /// Counters of the endpoint's tables and live objects.
    public func statistics() async throws -> QUICEndpointStatistics {
        let core = self.core
        return try await eventLoop.submit { core.value.statistics() }.get()
    }
}
