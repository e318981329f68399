import CNgtcp2
import Logging
import NIOCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One UDP socket and every connection on it, confined to the socket's
/// event loop: routing by destination connection ID, new server
/// connections, Retry, version negotiation and stateless resets.
final class EndpointCore {
    /// Size of the buffer each datagram is read into.
    static let receiveBufferSize = 2048

    let eventLoop: any EventLoop
    let isServer: Bool
    let configuration: QUICEndpointConfiguration
    let tls: TLSContext
    let logger: Logger
    let counter = ObjectCounter()
    let allocator = ByteBufferAllocator()
    private(set) var localPath: PathAddress
    private let secret: [UInt8]

    private var context: ChannelHandlerContext?
    private var routes: [ConnectionID: ConnectionCore] = [:]
    private var connections: [ObjectIdentifier: ConnectionCore] = [:]
    private var dirty: [ConnectionCore] = []
    private var needsFlush = false
    private var flushScheduled = false
    private var closed = false
    /// Server handshakes in progress, by the peer's IP address.
    private var handshaking: [String: Int] = [:]
    private let incoming: AsyncStream<QUICConnection>.Continuation
    private var stats = QUICEndpointStatistics(
        connections: 0, routedConnectionIDs: 0, liveConnectionObjects: 0, liveStreamObjects: 0, retriesSent: 0,
        versionNegotiationsSent: 0, statelessResetsSent: 0, datagramsDropped: 0)

    init(
        eventLoop: any EventLoop, isServer: Bool, configuration: QUICEndpointConfiguration, tls: TLSContext,
        localAddress: SocketAddress, incoming: AsyncStream<QUICConnection>.Continuation, logger: Logger
    ) {
        self.eventLoop = eventLoop
        self.isServer = isServer
        self.configuration = configuration
        self.tls = tls
        self.localPath = PathAddress(localAddress)
        self.incoming = incoming
        self.logger = logger
        if let given = configuration.statelessSecret {
            secret = given
        } else {
            var generator = SystemRandomNumberGenerator()
            secret = (0..<32).map { _ in generator.next() }
        }
        _ = ConnectionCore.installLogSink
    }

    func timestamp() -> UInt64 {
        eventLoop.now.uptimeNanoseconds
    }

    func attach(_ context: ChannelHandlerContext) {
        self.context = context
    }

    // MARK: - Datagrams in

    func receive(_ envelope: AddressedEnvelope<ByteBuffer>) {
        envelope.data.withUnsafeReadableBytes { bytes in
            guard bytes.count > 0 else { return }
            var vc = ngtcp2_version_cid()
            let rv = ngtcp2_pkt_decode_version_cid(
                &vc, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count, ConnectionID.localLength)
            if rv == NGTCP2_ERR_VERSION_NEGOTIATION {
                if isServer { sendVersionNegotiation(vc, to: envelope.remoteAddress) }
                return
            }
            guard rv == 0 else {
                stats.datagramsDropped += 1
                return
            }
            let dcid = ConnectionID(pointer: vc.dcid, length: vc.dcidlen)
            if let connection = routes[dcid] {
                connection.receive(bytes, from: envelope.remoteAddress)
                return
            }
            if isServer && vc.version != 0 {
                accept(bytes, from: envelope.remoteAddress)
            } else if vc.version == 0 {
                unknownShortHeader(bytes, dcid: vc, from: envelope.remoteAddress)
            } else {
                stats.datagramsDropped += 1
            }
        }
    }

    /// A client's first Initial: validate it, optionally demand a Retry,
    /// then create the connection.
    private func accept(_ bytes: UnsafeRawBufferPointer, from address: SocketAddress) {
        guard !closed else { return }
        var hd = ngtcp2_pkt_hd()
        let rv = ngtcp2_accept(&hd, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count)
        if rv == NGTCP2_ERR_RETRY {
            sendRetry(hd, to: address, datagramSize: bytes.count)
            return
        }
        guard rv == 0 else {
            stats.datagramsDropped += 1
            return
        }
        var originalDCID: ngtcp2_cid?
        if hd.token.len > 0, hd.token.base[0] == UInt8(NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY) {
            var odcid = ngtcp2_cid()
            let valid = address.withSockAddr { sa, length in
                ngtcp2_crypto_verify_retry_token(
                    &odcid, hd.token.base, hd.token.len, secret, secret.count, hd.version, sa, socklen_t(length),
                    &hd.dcid, 10 * UInt64(NGTCP2_SECONDS), timestamp()) == 0
            }
            guard valid else {
                // A forged or stale token: drop it, the client will time out or retry.
                stats.datagramsDropped += 1
                return
            }
            originalDCID = odcid
        } else if configuration.requireAddressValidation {
            sendRetry(hd, to: address, datagramSize: bytes.count)
            return
        } else {
            hd.token = ngtcp2_vec(base: nil, len: 0)
        }

        let host = address.ipAddress ?? ""
        guard handshaking[host, default: 0] < configuration.maxHandshakesPerAddress else {
            stats.handshakesRefused += 1
            return
        }
        let connection: ConnectionCore
        do {
            connection = try withUnsafePointer(to: &hd) { header in
                try ConnectionCore(serverOf: self, header: header, remote: address, originalDCID: originalDCID)
            }
        } catch {
            logger.warning("could not create a connection", metadata: ["peer": "\(address)", "error": "\(error)"])
            return
        }
        connections[ObjectIdentifier(connection)] = connection
        for id in connection.routedIDs { routes[id] = connection }
        handshaking[host, default: 0] += 1
        connection.handshakeSlot = host
        connection.receive(bytes, from: address)
    }

    /// A server connection's handshake ended (completed or abandoned):
    /// its address may start another.
    func releaseHandshakeSlot(of connection: ConnectionCore) {
        guard let host = connection.handshakeSlot else { return }
        connection.handshakeSlot = nil
        let left = handshaking[host, default: 1] - 1
        handshaking[host] = left > 0 ? left : nil
    }

    /// A short-header packet for no connection we know: either a stateless
    /// reset meant for one of our client connections, or a packet for a
    /// connection a previous run of this server owned.
    private func unknownShortHeader(_ bytes: UnsafeRawBufferPointer, dcid vc: ngtcp2_version_cid, from address: SocketAddress) {
        if !isServer {
            // ngtcp2 recognises a stateless reset by the token at the end of
            // the datagram; only connections to that peer can own it.
            for connection in connections.values where connection.remote.socketAddress == address {
                connection.receive(bytes, from: address)
            }
            return
        }
        // Reply smaller than the trigger, so resets can't loop or amplify.
        let size = min(bytes.count - 1, Int(NGTCP2_MAX_UDP_PAYLOAD_SIZE))
        let randomLength = size - 1 - Int(NGTCP2_STATELESS_RESET_TOKENLEN)
        guard randomLength >= Int(NGTCP2_MIN_STATELESS_RESET_RANDLEN), vc.dcidlen == ConnectionID.localLength else {
            stats.datagramsDropped += 1
            return
        }
        let cid = ConnectionID(pointer: vc.dcid, length: vc.dcidlen).cid
        var token = [UInt8](repeating: 0, count: Int(NGTCP2_STATELESS_RESET_TOKENLEN))
        token.withUnsafeMutableBufferPointer { statelessResetToken(for: cid, into: $0.baseAddress!) }
        var generator = SystemRandomNumberGenerator()
        let random = (0..<randomLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var packet = allocator.buffer(capacity: size)
        packet.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { out in
            let n = ngtcp2_pkt_write_stateless_reset(
                out.baseAddress!.assumingMemoryBound(to: UInt8.self), size, token, random, random.count)
            return n > 0 ? Int(n) : 0
        }
        guard packet.readableBytes > 0 else { return }
        stats.statelessResetsSent += 1
        send(packet, to: address)
        needsFlush = true
    }

    private func sendVersionNegotiation(_ vc: ngtcp2_version_cid, to address: SocketAddress) {
        var versions: [UInt32] = [0x1a2a_3a4a, NGTCP2_PROTO_VER_V1]
        var packet = allocator.buffer(capacity: Int(NGTCP2_MAX_UDP_PAYLOAD_SIZE))
        packet.writeWithUnsafeMutableBytes(minimumWritableBytes: Int(NGTCP2_MAX_UDP_PAYLOAD_SIZE)) { out in
            // A server's reply swaps the client's connection IDs.
            let n = ngtcp2_pkt_write_version_negotiation(
                out.baseAddress!.assumingMemoryBound(to: UInt8.self), out.count, UInt8.random(in: 0...255),
                vc.scid, vc.scidlen, vc.dcid, vc.dcidlen, &versions, versions.count)
            return n > 0 ? Int(n) : 0
        }
        guard packet.readableBytes > 0 else { return }
        stats.versionNegotiationsSent += 1
        send(packet, to: address)
        needsFlush = true
    }

    private func sendRetry(_ hd: ngtcp2_pkt_hd, to address: SocketAddress, datagramSize: Int) {
        var hd = hd
        var scid = ConnectionID.random().cid
        var token = [UInt8](repeating: 0, count: 256 /* > NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN, a macro Swift cannot import */)
        let tokenLength = address.withSockAddr { sa, length in
            ngtcp2_crypto_generate_retry_token(
                &token, secret, secret.count, hd.version, sa, socklen_t(length), &scid, &hd.dcid, timestamp())
        }
        guard tokenLength > 0 else { return }
        // Never send more than three times what the client sent (RFC 9000, 8.1).
        let limit = min(Int(NGTCP2_MAX_UDP_PAYLOAD_SIZE), datagramSize * 3)
        var packet = allocator.buffer(capacity: limit)
        packet.writeWithUnsafeMutableBytes(minimumWritableBytes: limit) { out in
            let n = ngtcp2_crypto_write_retry(
                out.baseAddress!.assumingMemoryBound(to: UInt8.self), limit, hd.version, &hd.scid, &scid, &hd.dcid,
                token, Int(tokenLength))
            return n > 0 ? Int(n) : 0
        }
        guard packet.readableBytes > 0 else { return }
        stats.retriesSent += 1
        send(packet, to: address)
        needsFlush = true
    }

    /// Derives a connection ID's stateless reset token from the endpoint's
    /// secret, so a restarted server with the same secret can reset
    /// connections it no longer knows.
    func statelessResetToken(for cid: ngtcp2_cid, into token: UnsafeMutablePointer<UInt8>) {
        var cid = cid
        _ = ngtcp2_crypto_generate_stateless_reset_token(token, secret, secret.count, &cid)
    }


    // MARK: - Datagrams out

    func send(_ packet: ByteBuffer, to address: SocketAddress) {
        guard let context else { return }
        context.write(NIOAny(AddressedEnvelope(remoteAddress: address, data: packet)), promise: nil)
        needsFlush = true
    }

    func markDirty(_ connection: ConnectionCore) {
        if !connection.dirty {
            connection.dirty = true
            dirty.append(connection)
        }
    }

    /// Writes for every connection that had input, then flushes the socket
    /// once: the end of a read burst, a timer, or an application call.
    func flushDirty() {
        while !dirty.isEmpty {
            let batch = dirty
            dirty.removeAll(keepingCapacity: true)
            for connection in batch {
                connection.dirty = false
                connection.writePackets()
            }
        }
        flushSoon()
    }

    func flushSoon() {
        if needsFlush, let context {
            needsFlush = false
            context.flush()
        }
    }

    /// Coalesces the writes of many application calls made in one tick.
    func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        eventLoop.assumeIsolated().execute { [self] in
            flushScheduled = false
            flushDirty()
        }
    }

    // MARK: - Connection table

    func connect(to address: SocketAddress, serverName: String?) -> EventLoopFuture<QUICConnection> {
        guard !closed, context != nil else {
            return eventLoop.makeFailedFuture(QUICError(.endpointClosed, "the endpoint is closed; create a new one"))
        }
        let connection: ConnectionCore
        do {
            connection = try ConnectionCore(clientOf: self, remote: address, serverName: serverName)
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        let promise = eventLoop.makePromise(of: QUICConnection.self)
        connection.handshakePromise = promise
        connections[ObjectIdentifier(connection)] = connection
        for id in connection.routedIDs { routes[id] = connection }
        connection.writePackets()
        flushSoon()
        return promise.futureResult
    }

    func accepted(_ connection: QUICConnection) {
        incoming.yield(connection)
    }

    func route(_ id: ConnectionID, to connection: ConnectionCore) {
        routes[id] = connection
    }

    func unroute(_ id: ConnectionID) {
        routes.removeValue(forKey: id)
    }

    func remove(_ connection: ConnectionCore) {
        releaseHandshakeSlot(of: connection)
        for id in connection.routedIDs where routes[id] === connection {
            routes.removeValue(forKey: id)
        }
        connection.routedIDs.removeAll()
        connections.removeValue(forKey: ObjectIdentifier(connection))
    }

    func statistics() -> QUICEndpointStatistics {
        var result = stats
        result.connections = connections.count
        result.handshakesInProgress = handshaking.values.reduce(0, +)
        result.routedConnectionIDs = routes.count
        result.liveConnectionObjects = counter.connections.load(ordering: .relaxed)
        result.liveStreamObjects = counter.streams.load(ordering: .relaxed)
        return result
    }

    /// Closes every connection with `code` and stops accepting.
    func close(code: UInt64, reason: String) {
        guard !closed else { return }
        closed = true
        incoming.finish()
        for connection in Array(connections.values) {
            connection.close(code: code, reason: reason, localReason: .endpointClosed)
        }
        flushSoon()
        for connection in Array(connections.values) {
            connection.remove()
        }
    }

    /// The socket is gone: nothing can be sent or received any more.
    func channelClosed() {
        context = nil
        closed = true
        incoming.finish()
        for connection in Array(connections.values) {
            connection.remove()
        }
    }
}
