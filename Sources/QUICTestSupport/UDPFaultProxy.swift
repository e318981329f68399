public import NIOCore
import NIOPosix

/// A UDP proxy for tests that loses, duplicates, reorders and delays datagrams between QUIC
/// clients and a server on loopback.
///
/// Clients send to ``localAddress`` instead of the server. For each client address the proxy
/// opens its own upstream-facing socket, so the server sees one distinct address per client, and
/// relays the server's replies back to that client. Faults from ``Configuration`` apply
/// independently to every datagram in each direction; ``setBlackHole(_:)`` cuts the link
/// entirely, and ``rebindUpstream()`` moves every client to a new source port, as a NAT rebinding
/// would.
///
/// ```swift
/// let proxy = try await UDPFaultProxy.start(
///     upstream: server.localAddress!,
///     configuration: .init(lossRate: 0.1, seed: 42),
///     group: MultiThreadedEventLoopGroup.singleton
/// )
/// // ... point the client at proxy.localAddress, run the test ...
/// #expect(proxy.statistics.dropped > 0)
/// try await proxy.stop()
/// ```
///
/// All sockets of one proxy share one event loop, which owns the mutable state; the
/// configuration, black-hole switch and counters are safe to use from any thread.
public final class UDPFaultProxy: Sendable {
    /// The address clients should send to: an ephemeral port on `127.0.0.1` or `::1`, matching
    /// the address family of ``upstreamAddress``.
    public let localAddress: SocketAddress

    /// The server's address, where client datagrams are forwarded to.
    public let upstreamAddress: SocketAddress

    private let eventLoop: any EventLoop
    private let core: NIOLoopBound<FaultProxyCore>
    private let control: FaultProxyControl

    private init(
        localAddress: SocketAddress,
        upstreamAddress: SocketAddress,
        eventLoop: any EventLoop,
        core: NIOLoopBound<FaultProxyCore>,
        control: FaultProxyControl
    ) {
        self.localAddress = localAddress
        self.upstreamAddress = upstreamAddress
        self.eventLoop = eventLoop
        self.core = core
        self.control = control
    }

    /// Starts a proxy in front of `upstream`.
    ///
    /// - Parameters:
    ///   - upstream: The server's address; an IPv4 or IPv6 address, usually on loopback.
    ///   - configuration: The faults to inject. The rates must be in `0...1` and the delays must
    ///     not be negative.
    ///   - group: The event loop group to run on. The proxy uses one of its event loops; it must
    ///     support sockets, like `MultiThreadedEventLoopGroup`.
    /// - Returns: The running proxy, listening on ``localAddress``.
    /// - Throws: If the client-facing socket cannot be bound.
    public static func start(
        upstream: SocketAddress,
        configuration: Configuration,
        group: any EventLoopGroup
    ) async throws -> UDPFaultProxy {
        configuration.validate()
        let bindAddress: SocketAddress
        switch upstream {
        case .v4:
            bindAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 0)
        case .v6:
            bindAddress = try SocketAddress(ipAddress: "::1", port: 0)
        case .unixDomainSocket:
            preconditionFailure("UDPFaultProxy needs an IP upstream address, got \(upstream)")
        }

        let eventLoop = group.next()
        let control = FaultProxyControl(configuration: configuration)
        let core = try await eventLoop.submit {
            NIOLoopBound(
                FaultProxyCore(
                    eventLoop: eventLoop,
                    upstreamAddress: upstream,
                    bindAddress: bindAddress,
                    control: control,
                    seed: configuration.seed
                ),
                eventLoop: eventLoop
            )
        }.get()
        let localAddress = try await eventLoop.flatSubmit {
            core.value.bindClientFacing()
        }.get()

        return UDPFaultProxy(
            localAddress: localAddress,
            upstreamAddress: upstream,
            eventLoop: eventLoop,
            core: core,
            control: control
        )
    }

    /// Closes all of the proxy's sockets. Datagrams still delayed or held back are dropped.
    ///
    /// Calling it again does nothing.
    ///
    /// - Throws: Nothing at present; `throws` leaves room for reporting close failures.
    public func stop() async throws {
        try await self.eventLoop.flatSubmit {
            self.core.value.stop()
        }.get()
    }

    /// The faults currently injected.
    public var configuration: Configuration {
        self.control.configuration
    }

    /// Replaces the faults to inject, for example to turn loss on once a handshake is done.
    ///
    /// Applies to datagrams arriving from now on. ``Configuration/seed`` is ignored: the random
    /// generator is seeded once, in ``start(upstream:configuration:group:)``.
    ///
    /// - Parameter configuration: The new configuration, validated like the one passed to start.
    public func setConfiguration(_ configuration: Configuration) {
        configuration.validate()
        self.control.setConfiguration(configuration)
    }

    /// Whether the proxy currently drops every datagram; see ``setBlackHole(_:)``.
    public var isBlackHoled: Bool {
        self.control.isBlackHoled
    }

    /// Turns the black hole on or off.
    ///
    /// While it is on, every datagram in both directions is dropped, including ones already
    /// delayed or held back when it was turned on.
    ///
    /// - Parameter on: `true` to drop everything, `false` to resume normal forwarding.
    public func setBlackHole(_ on: Bool) {
        self.control.setBlackHole(on)
    }

    /// Turns a one-way black hole on or off: while it is on, every datagram from the
    /// server to a client is dropped and clients' datagrams still reach the server, as
    /// when a server's answers are lost on the way back.
    ///
    /// - Parameter on: `true` to drop everything sent to clients, `false` to resume.
    public func setBlackHoleToClients(_ on: Bool) {
        self.control.setBlackHoleToClients(on)
    }

    /// Gives every known client a new upstream-facing socket, so the server sees each client
    /// arrive from a new source port, as after a NAT rebinding.
    ///
    /// Each new socket is bound while the old one is still open, so the port is guaranteed to
    /// change. When this returns, new datagrams use the new sockets; replies the server sends to
    /// an old port afterwards are dropped.
    ///
    /// - Throws: If a new socket cannot be bound (that client keeps its old one), or if the proxy
    ///   was stopped.
    public func rebindUpstream() async throws {
        try await self.eventLoop.flatSubmit {
            self.core.value.rebindUpstream()
        }.get()
    }

    /// The local address of every client's upstream-facing socket, which is the address the
    /// server sees for that client, keyed by the client's address.
    ///
    /// A client whose first socket is still being bound is missing.
    ///
    /// - Returns: Upstream-facing addresses keyed by client address.
    /// - Throws: If the proxy's event loop has shut down.
    public func upstreamLocalAddresses() async throws -> [SocketAddress: SocketAddress] {
        try await self.eventLoop.submit {
            self.core.value.upstreamLocalAddresses()
        }.get()
    }

    /// A snapshot of the proxy's counters.
    ///
    /// Counts are updated on the proxy's event loop as datagrams pass, so a snapshot taken right
    /// after sending may not include datagrams still in flight.
    public var statistics: Statistics {
        self.control.statistics
    }
}
