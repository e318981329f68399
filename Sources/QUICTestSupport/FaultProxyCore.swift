import NIOCore
import NIOPosix

/// The working part of a ``UDPFaultProxy``: owns its sockets and makes the fault decisions.
///
/// Every method must be called on ``eventLoop``; all sockets of one proxy live on that loop, so
/// their handlers call in directly and no state here needs a lock.
final class FaultProxyCore {
    /// Large enough for any UDP datagram, so that nothing is silently truncated (QUIC's path MTU
    /// probes on loopback can exceed the bootstrap's default of 2048 bytes).
    private static let maximumDatagramSize = 65_536

    /// Bursts from a QUIC sender can outrun one event loop briefly; a roomy socket buffer keeps
    /// the kernel from adding losses the test did not ask for. The kernel caps it at rmem_max.
    private static let socketBufferSize: SocketOptionValue = 4 << 20

    /// Datagrams read per wake-up before yielding to other sockets on the loop.
    private static let maximumMessagesPerRead: UInt = 8

    let eventLoop: any EventLoop
    private let upstreamAddress: SocketAddress
    private let bindAddress: SocketAddress
    private let control: FaultProxyControl
    // One generator per direction, so that with a seed the decisions in one direction depend
    // only on the order of datagrams in that direction, not on how they interleave with replies.
    private var randomToServer: SplitMix64
    private var randomToClient: SplitMix64
    private var clientChannel: (any Channel)?
    /// Channels written to since the last flush; flushing once per read burst lets NIO batch
    /// the sends instead of making one system call per datagram.
    private var unflushedChannels: [any Channel] = []
    private var flows: [SocketAddress: FaultProxyFlow] = [:]
    private var pendingBinds: [Int: EventLoopFuture<Void>] = [:]
    private var nextBindID = 0
    private var isStopped = false

    init(
        eventLoop: any EventLoop,
        upstreamAddress: SocketAddress,
        bindAddress: SocketAddress,
        control: FaultProxyControl,
        seed: UInt64?
    ) {
        self.eventLoop = eventLoop
        self.upstreamAddress = upstreamAddress
        self.bindAddress = bindAddress
        self.control = control
        var root = seed.map { SplitMix64(seed: $0) } ?? SplitMix64()
        self.randomToServer = SplitMix64(seed: root.next())
        self.randomToClient = SplitMix64(seed: root.next())
    }

    // MARK: Lifecycle

    /// Binds the client-facing socket and returns its address.
    func bindClientFacing() -> EventLoopFuture<SocketAddress> {
        self.eventLoop.preconditionInEventLoop()
        return self.makeBootstrap(handler: FaultProxyClientHandler(core: self))
            .bind(to: self.bindAddress)
            .assumeIsolated()
            .flatMapThrowing { channel in
                guard let localAddress = channel.localAddress else {
                    channel.close(promise: nil)
                    throw ChannelError.unknownLocalAddress
                }
                self.clientChannel = channel
                return localAddress
            }
            .nonisolated()
    }

    /// Gives every client a new upstream-facing socket, as a NAT rebinding would.
    func rebindUpstream() -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        guard !self.isStopped else {
            return self.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
        }
        let binds = self.flows.values.map { self.bindUpstream(for: $0) }
        return EventLoopFuture.andAllSucceed(binds, on: self.eventLoop)
    }

    /// The local address of each client's upstream-facing socket, keyed by client address.
    func upstreamLocalAddresses() -> [SocketAddress: SocketAddress] {
        self.eventLoop.preconditionInEventLoop()
        var addresses: [SocketAddress: SocketAddress] = [:]
        for (client, flow) in self.flows {
            addresses[client] = flow.upstreamChannel?.localAddress
        }
        return addresses
    }

    /// Closes every socket and drops whatever is still held back. Safe to call more than once.
    func stop() -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        guard !self.isStopped else {
            return self.eventLoop.makeSucceededVoidFuture()
        }
        self.isStopped = true

        var closing = Array(self.pendingBinds.values)
        for flow in self.flows.values {
            flow.isClosed = true
            for direction in [FaultProxyDirection.clientToServer, .serverToClient] {
                if let held = flow.takeHeld(direction) {
                    held.release.cancel()
                    self.control.record(.init(dropped: held.datagrams.count), direction)
                }
            }
            if !flow.pendingToServer.isEmpty {
                self.control.record(.init(dropped: flow.pendingToServer.count), .clientToServer)
                flow.pendingToServer = []
            }
            if let channel = flow.upstreamChannel {
                closing.append(channel.close())
            }
        }
        self.flows.removeAll()
        if let channel = self.clientChannel {
            closing.append(channel.close())
            self.clientChannel = nil
        }
        self.unflushedChannels.removeAll()
        // Datagrams still waiting out `delay` find the flow closed and count themselves dropped.
        return EventLoopFuture.andAllComplete(closing, on: self.eventLoop)
    }

    // MARK: Datagrams

    func receivedFromClient(_ datagram: ByteBuffer, from client: SocketAddress) {
        self.eventLoop.preconditionInEventLoop()
        guard !self.isStopped else { return }

        let flow: FaultProxyFlow
        if let existing = self.flows[client] {
            flow = existing
        } else {
            // One upstream socket per client, so the server sees each client at its own address.
            flow = FaultProxyFlow(clientAddress: client)
            self.flows[client] = flow
            self.bindUpstream(for: flow)
        }
        self.process(datagram, .clientToServer, flow)
    }

    func receivedFromUpstream(_ datagram: ByteBuffer, on channel: any Channel, for flow: FaultProxyFlow) {
        self.eventLoop.preconditionInEventLoop()
        guard !self.isStopped else { return }

        // After a rebind the old socket lingers until it is closed; what the server still sends
        // there is lost, as it would be behind a real NAT that forgot the old mapping.
        guard !flow.isClosed, let current = flow.upstreamChannel, current === channel else {
            self.control.record(.init(received: 1, dropped: 1), .serverToClient)
            return
        }
        self.process(datagram, .serverToClient, flow)
    }

    /// Applies loss, duplication and reordering, in that order, to one arriving datagram.
    private func process(_ datagram: ByteBuffer, _ direction: FaultProxyDirection, _ flow: FaultProxyFlow) {
        let configuration = self.control.configuration
        var counts = UDPFaultProxy.DirectionStatistics(received: 1)
        defer { self.control.record(counts, direction) }

        if self.control.drops(direction) || self.chance(configuration.lossRate, direction) {
            counts.dropped = 1
            return
        }

        var batch = [datagram]
        if self.chance(configuration.duplicateRate, direction) {
            batch.append(datagram)
            counts.duplicated = 1
        }

        if let held = flow.takeHeld(direction) {
            // This datagram overtakes the one held back before it.
            held.release.cancel()
            batch.append(contentsOf: held.datagrams)
            counts.reordered = held.datagrams.count
        } else if self.chance(configuration.reorderRate, direction) {
            let release = self.eventLoop.assumeIsolated().scheduleTask(in: configuration.reorderDelay) {
                // Nothing overtook it in time: deliver it late rather than not at all.
                if let held = flow.takeHeld(direction) {
                    self.emit(held.datagrams, direction, flow, after: self.control.configuration.delay)
                    self.flushWrites()
                }
            }
            flow.hold((datagrams: batch, release: release), direction)
            return
        }

        self.emit(batch, direction, flow, after: configuration.delay)
    }

    private func chance(_ probability: Double, _ direction: FaultProxyDirection) -> Bool {
        switch direction {
        case .clientToServer:
            return self.randomToServer.chance(probability)
        case .serverToClient:
            return self.randomToClient.chance(probability)
        }
    }

    private func emit(
        _ batch: [ByteBuffer],
        _ direction: FaultProxyDirection,
        _ flow: FaultProxyFlow,
        after delay: TimeAmount
    ) {
        guard delay > .zero else {
            self.deliver(batch, direction, flow)
            return
        }
        // One task per batch keeps a batch's datagrams in order.
        self.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            self.deliver(batch, direction, flow)
            self.flushWrites()
        }
    }

    /// Writes `batch` to its destination now, unless the world changed while it waited.
    private func deliver(_ batch: [ByteBuffer], _ direction: FaultProxyDirection, _ flow: FaultProxyFlow) {
        guard !batch.isEmpty else { return }
        // Checked again here because the black hole may have opened while the batch was delayed.
        guard !self.isStopped, !flow.isClosed, !self.control.drops(direction) else {
            self.control.record(.init(dropped: batch.count), direction)
            return
        }

        let channel: any Channel
        let destination: SocketAddress
        switch direction {
        case .clientToServer:
            guard let upstreamChannel = flow.upstreamChannel else {
                // Still binding; counted once the socket is there.
                flow.pendingToServer.append(contentsOf: batch)
                return
            }
            channel = upstreamChannel
            destination = self.upstreamAddress
        case .serverToClient:
            guard let clientChannel = self.clientChannel else {
                self.control.record(.init(dropped: batch.count), direction)
                return
            }
            channel = clientChannel
            destination = flow.clientAddress
        }

        for datagram in batch {
            channel.write(AddressedEnvelope(remoteAddress: destination, data: datagram), promise: nil)
        }
        if !self.unflushedChannels.contains(where: { $0 === channel }) {
            self.unflushedChannels.append(channel)
        }
        self.control.record(.init(forwarded: batch.count), direction)
    }

    /// Sends everything written since the last call. Called at the end of each read burst and
    /// after each timer, which are the only places datagrams get written from.
    func flushWrites() {
        self.eventLoop.preconditionInEventLoop()
        for channel in self.unflushedChannels {
            channel.flush()
        }
        self.unflushedChannels.removeAll(keepingCapacity: true)
    }

    // MARK: Upstream sockets

    /// Binds a new upstream-facing socket for `flow` and swaps it in, closing the previous one.
    @discardableResult
    private func bindUpstream(for flow: FaultProxyFlow) -> EventLoopFuture<Void> {
        let id = self.nextBindID
        self.nextBindID += 1
        // Registered before the bind starts, because the bind can complete synchronously.
        let done = self.eventLoop.makePromise(of: Void.self)
        self.pendingBinds[id] = done.futureResult

        self.makeBootstrap(handler: FaultProxyUpstreamHandler(core: self, flow: flow))
            .bind(to: self.bindAddress)
            .assumeIsolated()
            .flatMap { channel -> EventLoopFuture<Void> in
                self.control.recordUpstreamSocketOpened()
                guard !self.isStopped, !flow.isClosed else {
                    return channel.close().recover { _ in }
                }
                let previous = flow.upstreamChannel
                flow.upstreamChannel = channel
                let pending = flow.pendingToServer
                flow.pendingToServer = []
                self.deliver(pending, .clientToServer, flow)
                self.flushWrites()
                // The old socket stayed open until now so the new one could not get its port:
                // the server is guaranteed to see a new address.
                return previous?.close().recover { _ in } ?? self.eventLoop.makeSucceededVoidFuture()
            }
            .flatMapErrorThrowing { error in
                if flow.upstreamChannel == nil {
                    // No socket ever came up for this client: drop what waited for one, and
                    // forget the flow so the client's next datagram tries again.
                    self.control.record(.init(dropped: flow.pendingToServer.count), .clientToServer)
                    flow.pendingToServer = []
                    flow.isClosed = true
                    if self.flows[flow.clientAddress] === flow {
                        self.flows[flow.clientAddress] = nil
                    }
                }
                throw error
            }
            .always { _ in
                self.pendingBinds[id] = nil
            }
            .nonisolated()
            .cascade(to: done)
        return done.futureResult
    }

    private func makeBootstrap(handler: some ChannelHandler) -> DatagramBootstrap {
        // The initializer runs on this loop (every socket of the proxy lives here), which is
        // what lets a non-Sendable handler cross the @Sendable closure inside NIOLoopBound.
        let handler = NIOLoopBound(handler, eventLoop: self.eventLoop)
        return DatagramBootstrap(group: self.eventLoop)
            .channelOption(.socketOption(.so_rcvbuf), value: Self.socketBufferSize)
            .channelOption(.socketOption(.so_sndbuf), value: Self.socketBufferSize)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.maximumDatagramSize))
            .channelOption(.maxMessagesPerRead, value: Self.maximumMessagesPerRead)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(handler.value)
                }
            }
    }
}

@available(*, unavailable)
extension FaultProxyCore: Sendable {}
