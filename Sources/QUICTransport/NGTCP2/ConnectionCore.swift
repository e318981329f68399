import CNgtcp2
import CQuicFlowShims
import Logging
import NIOCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One QUIC connection: the owner of its `ngtcp2_conn` and GnuTLS session.
///
/// Confined to its endpoint's event loop. ngtcp2 calls back into it only
/// synchronously, from inside the `ngtcp2_conn_*` calls made here, through
/// an unretained pointer; the endpoint's tables keep it alive until
/// ``remove()`` deletes the C objects, after which no callback can come.
final class ConnectionCore {
    enum State {
        case handshaking
        case established
        /// We sent CONNECTION_CLOSE; we answer stray packets with it again.
        case closing
        /// The peer closed (or reset) the connection; we stay silent.
        case draining
        /// Deleted; nothing may touch ngtcp2 any more.
        case removed

        /// Not yet closing: ngtcp2 runs the connection, so it may read,
        /// write, time out and start closing.
        var isAlive: Bool {
            switch self {
            case .handshaking, .established: true
            case .closing, .draining, .removed: false
            }
        }
    }

    let endpoint: EndpointCore
    let eventLoop: any EventLoop
    let isServer: Bool
    let settings: QUICSettings
    private(set) var state: State = .handshaking
    private var conn: OpaquePointer?
    private var session: OpaquePointer?
    private let connRef: UnsafeMutablePointer<ngtcp2_crypto_conn_ref>
    /// GnuTLS keeps the pointer to the name it verifies for the session's
    /// lifetime, so it lives here, not in a temporary.
    private var peerName: UnsafeMutablePointer<CChar>?
    /// Where packets go: the peer's current address.
    let remote: PathAddress
    let serverName: String?

    private(set) var streams: [Int64: StreamCore] = [:]
    private var sendQueue = CircularBuffer<StreamCore>()
    private var openWaiters = CircularBuffer<EventLoopPromise<QUICStream>>()
    private var timer: Scheduled<Void>?
    private var timerDeadline: UInt64 = .max
    private var closeTimer: Scheduled<Void>?
    private var closePacket: ByteBuffer?
    private var closePacketsSent = 0
    private var receivedStatelessReset = false

    /// Connection IDs the endpoint routes to this connection.
    var routedIDs: Set<ConnectionID> = []
    /// Waiting in the endpoint's list of connections to write.
    var dirty = false
    /// The address whose handshake slot this server connection holds
    /// until its handshake completes or it goes away.
    var handshakeSlot: String?

    /// Fulfilled with the public handle once the handshake is confirmed.
    var handshakePromise: EventLoopPromise<QUICConnection>?
    let closedPromise: EventLoopPromise<QUICCloseReason>
    private(set) var closeReason: QUICCloseReason?
    let inboundStreams: AsyncStream<QUICStream>
    private let inboundContinuation: AsyncStream<QUICStream>.Continuation
    private(set) var applicationProtocol: String?
    private(set) var peerIdentity: QUICPeerIdentity?
    private(set) var handle: QUICConnection?

    private var logger: Logger { endpoint.logger }

    /// Creates a client connection to `remote`.
    init(clientOf endpoint: EndpointCore, remote: SocketAddress, serverName: String?) throws(QUICError) {
        self.endpoint = endpoint
        self.eventLoop = endpoint.eventLoop
        self.isServer = false
        self.settings = endpoint.configuration.settings
        self.remote = PathAddress(remote)
        self.serverName = serverName
        self.connRef = .allocate(capacity: 1)
        self.closedPromise = endpoint.eventLoop.makePromise()
        (inboundStreams, inboundContinuation) = AsyncStream.makeStream()
        endpoint.counter.connections.add(1, ordering: .relaxed)

        let scid = ConnectionID.random()
        var dcid = ConnectionID.random().cid
        var scidC = scid.cid
        var callbacks = Self.callbacks(isServer: false)
        var settings = makeSettings(token: nil)
        var params = makeTransportParameters()
        var path = ngtcp2_path(
            local: endpoint.localPath.ngtcp2Address, remote: self.remote.ngtcp2Address, user_data: nil)
        var created: OpaquePointer?
        let rv = qf_ngtcp2_conn_client_new(
            &created, &dcid, &scidC, &path, NGTCP2_PROTO_VER_V1, &callbacks, &settings, &params, nil,
            Unmanaged.passUnretained(self).toOpaque())
        guard rv == 0, let created else {
            connRef.deallocate()
            throw QUICError(.internalError, "ngtcp2_conn_client_new: \(String(cString: ngtcp2_strerror(rv)))")
        }
        conn = created
        try startTLS(peerName: serverName)
        routedIDs.insert(scid)
    }

    /// Creates a server connection for a client's first Initial packet.
    init(
        serverOf endpoint: EndpointCore, header: UnsafePointer<ngtcp2_pkt_hd>, remote: SocketAddress,
        originalDCID: ngtcp2_cid?
    ) throws(QUICError) {
        self.endpoint = endpoint
        self.eventLoop = endpoint.eventLoop
        self.isServer = true
        self.settings = endpoint.configuration.settings
        self.remote = PathAddress(remote)
        self.serverName = nil
        self.connRef = .allocate(capacity: 1)
        self.closedPromise = endpoint.eventLoop.makePromise()
        (inboundStreams, inboundContinuation) = AsyncStream.makeStream()
        endpoint.counter.connections.add(1, ordering: .relaxed)

        let hd = header.pointee
        let scid = ConnectionID.random()
        var scidC = scid.cid
        var dcid = hd.scid
        var callbacks = Self.callbacks(isServer: true)
        var settings = makeSettings(token: hd.token)
        var params = makeTransportParameters()
        if let originalDCID {
            params.original_dcid = originalDCID
            params.retry_scid = hd.dcid
            params.retry_scid_present = 1
        } else {
            params.original_dcid = hd.dcid
        }
        params.stateless_reset_token_present = 1
        withUnsafeMutableBytes(of: &params.stateless_reset_token) {
            endpoint.statelessResetToken(for: scidC, into: $0.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        var path = ngtcp2_path(
            local: endpoint.localPath.ngtcp2Address, remote: self.remote.ngtcp2Address, user_data: nil)
        var created: OpaquePointer?
        let rv = qf_ngtcp2_conn_server_new(
            &created, &dcid, &scidC, &path, hd.version, &callbacks, &settings, &params, nil,
            Unmanaged.passUnretained(self).toOpaque())
        guard rv == 0, let created else {
            connRef.deallocate()
            throw QUICError(.internalError, "ngtcp2_conn_server_new: \(String(cString: ngtcp2_strerror(rv)))")
        }
        conn = created
        try startTLS(peerName: nil)
        routedIDs.insert(scid)
        routedIDs.insert(ConnectionID(hd.dcid))
    }

    deinit {
        // remove() normally ran already; this covers a connection dropped
        // before it was ever registered.
        if let conn { ngtcp2_conn_del(conn) }
        if let session { gnutls_deinit(session) }
        free(peerName)
        connRef.deallocate()
        endpoint.counter.connections.subtract(1, ordering: .relaxed)
    }

    private func makeSettings(token: ngtcp2_vec?) -> ngtcp2_settings {
        var s = ngtcp2_settings()
        qf_ngtcp2_settings_default(&s)
        s.initial_ts = endpoint.timestamp()
        s.handshake_timeout = settings.handshakeTimeout.nanoseconds
        s.max_stream_window = UInt64(settings.maxStreamWindow)
        s.max_window = UInt64(settings.maxConnectionWindow)
        if let token { s.token = token }
        if endpoint.configuration.debugLogging {
            qf_settings_enable_log(&s)
        }
        return s
    }

    private func makeTransportParameters() -> ngtcp2_transport_params {
        var p = ngtcp2_transport_params()
        qf_ngtcp2_transport_params_default(&p)
        p.initial_max_stream_data_bidi_local = UInt64(settings.initialStreamWindow)
        p.initial_max_stream_data_bidi_remote = UInt64(settings.initialStreamWindow)
        p.initial_max_stream_data_uni = 0
        p.initial_max_data = UInt64(settings.initialConnectionWindow)
        p.initial_max_streams_bidi = UInt64(settings.maxConcurrentBidirectionalStreams)
        p.initial_max_streams_uni = 0
        p.max_idle_timeout = settings.idleTimeout.nanoseconds
        p.active_connection_id_limit = 4
        // The endpoint reads datagrams into buffers of this size; tell the
        // peer not to send larger ones, which would arrive truncated.
        p.max_udp_payload_size = UInt64(EndpointCore.receiveBufferSize)
        return p
    }

    private func startTLS(peerName: String?) throws(QUICError) {
        connRef.initialize(
            to: ngtcp2_crypto_conn_ref(
                get_conn: { ref in
                    Unmanaged<ConnectionCore>.fromOpaque(ref!.pointee.user_data).takeUnretainedValue().conn
                },
                user_data: Unmanaged.passUnretained(self).toOpaque()))
        var message = [CChar](repeating: 0, count: 512)
        var created: OpaquePointer?
        self.peerName = peerName.map { strdup($0) }
        let rv = qf_tls_session_new(&created, endpoint.tls.context, connRef, self.peerName, &message, message.count)
        guard rv == 0, let created else {
            ngtcp2_conn_del(conn)
            conn = nil
            throw QUICError(.tlsConfiguration, String(nulTerminated: message))
        }
        session = created
        ngtcp2_conn_set_tls_native_handle(conn, UnsafeMutableRawPointer(created))
        if let keepAlive = settings.keepAliveInterval {
            ngtcp2_conn_set_keep_alive_timeout(conn, keepAlive.nanoseconds)
        }
    }

    // MARK: - Input

    /// Feeds one datagram that the endpoint routed here.
    func receive(_ bytes: UnsafeRawBufferPointer, from address: SocketAddress) {
        guard let conn else { return }
        switch state {
        case .handshaking, .established:
            break
        case .closing:
            resendClosePacket()
            return
        case .draining, .removed:
            return
        }
        let rv: Int32 = address.withSockAddr { sa, length in
            var path = ngtcp2_path(
                local: endpoint.localPath.ngtcp2Address,
                remote: ngtcp2_addr(addr: UnsafeMutablePointer(mutating: sa), addrlen: socklen_t(length)),
                user_data: nil)
            var info = ngtcp2_pkt_info()
            return qf_ngtcp2_conn_read_pkt(
                conn, &path, &info, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count,
                endpoint.timestamp())
        }
        if rv != 0 {
            handleError(rv)
            return
        }
        endpoint.markDirty(self)
    }

    // MARK: - Output

    /// Writes every packet ngtcp2 has ready (within its send quantum), then
    /// re-arms the timer.
    func writePackets() {
        guard let conn, state.isAlive else { return }
        let now = endpoint.timestamp()
        let maxPayload = Int(ngtcp2_conn_get_max_tx_udp_payload_size(conn))
        let quantum = Int(ngtcp2_conn_get_send_quantum(conn))
        let maxPackets = max(1, min(64, quantum / max(maxPayload, 1)))
        var sentPackets = 0
        var storage = ngtcp2_path_storage()
        ngtcp2_path_storage_zero(&storage)
        var info = ngtcp2_pkt_info()
        var packet = endpoint.allocator.buffer(capacity: maxPayload)
        let lowWatermark = settings.writeBufferLowWatermark

        withUnsafeTemporaryAllocation(of: ngtcp2_vec.self, capacity: 16) { vecs in
            while true {
                while let head = sendQueue.first, !head.hasPendingSend || head.flowBlocked || head.closed {
                    sendQueue.removeFirst()
                    head.inSendQueue = false
                }
                let stream = sendQueue.first
                var vecCount = 0
                var offered = 0
                var fin = false
                if let stream {
                    var skip = stream.sentIntoFirst
                    for chunk in stream.unsent {
                        if vecCount == vecs.count { break }
                        let length = chunk.count - skip
                        vecs[vecCount] = ngtcp2_vec(
                            base: chunk.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + skip, len: length)
                        offered += length
                        skip = 0
                        vecCount += 1
                    }
                    fin = stream.finPending && vecCount == stream.unsent.count
                }
                var flags = UInt32(NGTCP2_WRITE_STREAM_FLAG_MORE)
                if fin { flags |= UInt32(NGTCP2_WRITE_STREAM_FLAG_FIN) }
                var accepted: ngtcp2_ssize = -1
                var rv: ngtcp2_ssize = 0
                packet.writeWithUnsafeMutableBytes(minimumWritableBytes: maxPayload) { out in
                    rv = qf_ngtcp2_conn_writev_stream(
                        conn, &storage.path, &info, out.baseAddress!.assumingMemoryBound(to: UInt8.self), maxPayload,
                        &accepted, flags, stream?.id ?? -1, vecCount > 0 ? vecs.baseAddress : nil, vecCount, now)
                    return rv > 0 ? Int(rv) : 0
                }
                if let stream, accepted >= 0 {
                    stream.didSend(Int(accepted), fin: fin && Int(accepted) == offered, lowWatermark: lowWatermark)
                    // Round robin: a stream with more to send goes to the back.
                    sendQueue.removeFirst()
                    if stream.hasPendingSend {
                        sendQueue.append(stream)
                    } else {
                        stream.inSendQueue = false
                    }
                }
                if rv < 0 {
                    switch Int32(rv) {
                    case NGTCP2_ERR_WRITE_MORE:
                        continue
                    case NGTCP2_ERR_STREAM_DATA_BLOCKED:
                        stream?.didBlockOnFlowControl()
                        continue
                    case NGTCP2_ERR_STREAM_SHUT_WR, NGTCP2_ERR_STREAM_NOT_FOUND:
                        // Our own resets fail writers before this point, so
                        // this is the peer's STOP_SENDING; ngtcp2 0.12 answers
                        // it itself and does not expose its code.
                        stream?.failSend(QUICError(.stopSending, "the peer stopped reading stream \(stream?.id ?? -1) (STOP_SENDING)"))
                        continue
                    default:
                        handleError(Int32(rv))
                        return
                    }
                }
                if rv == 0 { break }
                endpoint.send(packet, to: destination(storage.path.remote))
                sentPackets += 1
                if sentPackets >= maxPackets { break }
                packet = endpoint.allocator.buffer(capacity: maxPayload)
            }
        }
        guard let conn = self.conn, state.isAlive else { return }
        ngtcp2_conn_update_pkt_tx_time(conn, now)
        armTimer()
    }

    private func destination(_ addr: ngtcp2_addr) -> SocketAddress {
        if remote.matches(addr) { return remote.socketAddress }
        if let moved = PathAddress.socketAddress(from: addr) {
            remote.set(moved)
            return moved
        }
        return remote.socketAddress
    }

    private func enqueueSend(_ stream: StreamCore) {
        if !stream.inSendQueue {
            stream.inSendQueue = true
            sendQueue.append(stream)
        }
        endpoint.markDirty(self)
        endpoint.scheduleFlush()
    }

    // MARK: - Timers

    private func armTimer() {
        guard let conn, state.isAlive else { return }
        let expiry = ngtcp2_conn_get_expiry(conn)
        if expiry == .max {
            return
        }
        // A timer that fires early is harmless (ngtcp2 re-reports the
        // expiry), so only reschedule when the deadline moves closer.
        if timer != nil && expiry >= timerDeadline { return }
        timer?.cancel()
        timerDeadline = expiry
        let now = endpoint.timestamp()
        let delay = expiry > now ? Int64(clamping: expiry - now) : 0
        timer = eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(delay)) { [self] in
            self.onTimer()
        }
    }

    private func onTimer() {
        timer = nil
        timerDeadline = .max
        guard let conn, state.isAlive else { return }
        let now = endpoint.timestamp()
        if ngtcp2_conn_get_expiry(conn) > now {
            armTimer()
            return
        }
        let rv = ngtcp2_conn_handle_expiry(conn, now)
        if rv != 0 {
            handleError(rv)
            endpoint.flushSoon()
            return
        }
        writePackets()
        endpoint.flushSoon()
    }

    // MARK: - Closing

    /// Maps an ngtcp2 error from reading, writing or a timer to the right
    /// way of ending the connection.
    private func handleError(_ rv: Int32) {
        guard let conn else { return }
        switch rv {
        case NGTCP2_ERR_DRAINING:
            startDraining(peerCloseReason())
        case NGTCP2_ERR_IDLE_CLOSE:
            finish(.idleTimeout)
            remove()
        case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
            finish(.handshakeTimeout)
            remove()
        case NGTCP2_ERR_DROP_CONN, NGTCP2_ERR_RETRY:
            finish(.transport(code: 0, reason: String(cString: ngtcp2_strerror(rv)), byPeer: false))
            remove()
        case NGTCP2_ERR_CLOSING:
            break
        case NGTCP2_ERR_CRYPTO:
            let alert = ngtcp2_conn_get_tls_alert(conn)
            var ccerr = ngtcp2_connection_close_error()
            ngtcp2_connection_close_error_set_transport_error_tls_alert(&ccerr, alert, nil, 0)
            var text = [CChar](repeating: 0, count: 1024)
            qf_tls_describe_failure(session, ngtcp2_conn_get_tls_error(conn), alert, &text, text.count)
            startClosing(ccerr, reason: .handshakeFailed(String(nulTerminated: text)))
        default:
            var ccerr = ngtcp2_connection_close_error()
            ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, rv, nil, 0)
            startClosing(
                ccerr,
                reason: .transport(
                    code: ccerr.error_code, reason: String(cString: ngtcp2_strerror(rv)), byPeer: false))
        }
    }

    private func peerCloseReason() -> QUICCloseReason {
        if receivedStatelessReset { return .statelessReset }
        guard let conn else { return .endpointClosed }
        var ccerr = ngtcp2_connection_close_error()
        ngtcp2_conn_get_connection_close_error(conn, &ccerr)
        let reason =
            ccerr.reasonlen > 0 && ccerr.reason != nil
            ? String(decoding: UnsafeBufferPointer(start: ccerr.reason, count: ccerr.reasonlen), as: UTF8.self) : ""
        switch ccerr.type {
        case NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION:
            return .application(code: ccerr.error_code, reason: reason, byPeer: true)
        default:
            if state == .handshaking, ccerr.error_code >= 0x100, ccerr.error_code <= 0x1ff {
                let alert = UInt8(ccerr.error_code - 0x100)
                let name = gnutls_alert_get_name(gnutls_alert_description_t(UInt32(alert))).map { String(cString: $0) }
                return .handshakeFailed(
                    "the peer refused the handshake with TLS alert \(alert) (\(name ?? "unknown"))"
                        + (reason.isEmpty ? "" : ": \(reason)"))
            }
            return .transport(code: ccerr.error_code, reason: reason, byPeer: true)
        }
    }

    /// Closes with an application error code (the public `close`).
    func close(code: UInt64, reason: String, localReason: QUICCloseReason? = nil) {
        guard state.isAlive else { return }
        var ccerr = ngtcp2_connection_close_error()
        let bytes = Array(reason.utf8.prefix(1024))
        bytes.withUnsafeBufferPointer { buffer in
            ngtcp2_connection_close_error_set_application_error(&ccerr, code, buffer.baseAddress, buffer.count)
            startClosing(ccerr, reason: localReason ?? .application(code: code, reason: reason, byPeer: false))
        }
    }

    /// Enters the closing period: one CONNECTION_CLOSE now, the same again
    /// for stray packets, then forget the connection after 3 PTO.
    private func startClosing(_ ccerr: ngtcp2_connection_close_error, reason: QUICCloseReason) {
        guard let conn, state.isAlive else { return }
        var ccerr = ccerr
        var storage = ngtcp2_path_storage()
        ngtcp2_path_storage_zero(&storage)
        var info = ngtcp2_pkt_info()
        var packet = endpoint.allocator.buffer(capacity: Int(NGTCP2_MAX_UDP_PAYLOAD_SIZE))
        var written: ngtcp2_ssize = 0
        packet.writeWithUnsafeMutableBytes(minimumWritableBytes: Int(NGTCP2_MAX_UDP_PAYLOAD_SIZE)) { out in
            written = qf_ngtcp2_conn_write_connection_close(
                conn, &storage.path, &info, out.baseAddress!.assumingMemoryBound(to: UInt8.self),
                Int(NGTCP2_MAX_UDP_PAYLOAD_SIZE), &ccerr, endpoint.timestamp())
            return written > 0 ? Int(written) : 0
        }
        state = .closing
        finish(reason)
        if written > 0 {
            closePacket = packet
            endpoint.send(packet, to: remote.socketAddress)
            endpoint.flushSoon()
            scheduleRemoval()
        } else {
            remove()
        }
    }

    private func startDraining(_ reason: QUICCloseReason) {
        guard state.isAlive else { return }
        state = .draining
        finish(reason)
        scheduleRemoval()
    }

    private func resendClosePacket() {
        // Answer at most a few stray packets so a closing connection can't
        // be used to amplify traffic.
        guard let closePacket, closePacketsSent < 8 else { return }
        closePacketsSent += 1
        endpoint.send(closePacket, to: remote.socketAddress)
        endpoint.flushSoon()
    }

    private func scheduleRemoval() {
        timer?.cancel()
        timer = nil
        guard let conn else { return }
        let pto = Int64(clamping: ngtcp2_conn_get_pto(conn))
        closeTimer = eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(3 * pto)) { [self] in
            self.remove()
        }
    }

    /// Completes everything that waits on the connection with `reason`.
    private func finish(_ reason: QUICCloseReason) {
        guard closeReason == nil else { return }
        closeReason = reason
        let error = QUICError(.connectionClosed, "connection closed: \(reason)")
        for stream in streams.values {
            stream.failSend(error)
            stream.failReceive(error)
        }
        for stream in sendQueue { stream.inSendQueue = false }
        sendQueue.removeAll()
        while let waiter = openWaiters.popFirst() {
            waiter.fail(QUICError(.streamLimit, "cannot open a stream: \(error.message)"))
        }
        inboundContinuation.finish()
        if let promise = handshakePromise {
            handshakePromise = nil
            switch reason {
            case .handshakeFailed(let why):
                promise.fail(QUICError(.handshakeFailed, why))
            case .handshakeTimeout:
                promise.fail(QUICError(.handshakeTimeout, "no handshake with \(remote.socketAddress) within \(settings.handshakeTimeout); is a QUIC server listening there?"))
            case .transport(let code, _, true) where code == 0x0 || code == 0x2:
                promise.fail(QUICError(.handshakeFailed, "the server refused the connection: \(reason)"))
            default:
                promise.fail(QUICError(.handshakeFailed, "the connection closed during the handshake: \(reason)"))
            }
        }
        closedPromise.succeed(reason)
    }

    /// Forgets the connection: unroutes it and frees the C objects.
    func remove() {
        guard state != .removed else { return }
        if closeReason == nil { finish(.endpointClosed) }
        state = .removed
        timer?.cancel()
        timer = nil
        closeTimer?.cancel()
        closeTimer = nil
        closePacket = nil
        for stream in streams.values { stream.markClosed() }
        streams.removeAll()
        endpoint.remove(self)
        handle = nil
        if let conn {
            ngtcp2_conn_del(conn)
            self.conn = nil
        }
        if let session {
            gnutls_deinit(session)
            self.session = nil
        }
        free(peerName)
        peerName = nil
    }

    // MARK: - Application operations (on the event loop)

    func openStream() -> EventLoopFuture<QUICStream> {
        guard let conn, state == .established else {
            return eventLoop.makeFailedFuture(
                QUICError(.connectionClosed, "cannot open a stream: connection closed (\(closeReason.map { "\($0)" } ?? "not established"))"))
        }
        var id: Int64 = -1
        let rv = ngtcp2_conn_open_bidi_stream(conn, &id, nil)
        if rv == NGTCP2_ERR_STREAM_ID_BLOCKED {
            // The peer's stream limit is reached: wait for it to grant more.
            let promise = eventLoop.makePromise(of: QUICStream.self)
            openWaiters.append(promise)
            return promise.futureResult
        }
        guard rv == 0 else {
            return eventLoop.makeFailedFuture(QUICError(.internalError, "ngtcp2_conn_open_bidi_stream: \(String(cString: ngtcp2_strerror(rv)))"))
        }
        let stream = StreamCore(id: id, counter: endpoint.counter)
        streams[id] = stream
        return eventLoop.makeSucceededFuture(QUICStream(connection: self, stream: stream))
    }

    var pendingStreamOpens: Int { openWaiters.count }

    func read(_ stream: StreamCore) -> EventLoopFuture<ByteBuffer?> {
        if let data = stream.takeReceived() {
            returnCredit(of: stream, data.readableBytes)
            return eventLoop.makeSucceededFuture(data)
        }
        switch stream.receiveState {
        case .finReceived:
            return eventLoop.makeSucceededFuture(nil)
        case .failed(let error):
            return eventLoop.makeFailedFuture(error)
        case .open(let reader):
            if stream.closed || closeReason != nil {
                return eventLoop.makeFailedFuture(QUICError(.connectionClosed, "stream \(stream.id) is closed: \(closeReason.map { "\($0)" } ?? "closed")"))
            }
            if reader != nil {
                return eventLoop.makeFailedFuture(QUICError(.invalidConfiguration, "stream \(stream.id) already has a reader; read from one task at a time"))
            }
        }
        let promise = eventLoop.makePromise(of: ByteBuffer?.self)
        stream.awaitData(promise)
        return promise.futureResult
    }

    func cancelRead(_ stream: StreamCore) {
        stream.cancelRead()
    }

    /// Gives flow-control credit back to the peer for `count` bytes the
    /// stream has counted as consumed (read, or dropped unread).
    private func returnCredit(of stream: StreamCore, _ count: Int) {
        guard let conn else { return }
        if !stream.closed {
            ngtcp2_conn_extend_max_stream_offset(conn, stream.id, UInt64(count))
        }
        ngtcp2_conn_extend_max_offset(conn, UInt64(count))
        endpoint.markDirty(self)
        endpoint.scheduleFlush()
    }

    func write(_ buffer: ByteBuffer, to stream: StreamCore, finish: Bool) -> EventLoopFuture<Void> {
        switch stream.sendState {
        case .open:
            break
        case .failed(let error):
            return eventLoop.makeFailedFuture(error)
        case .finRequested, .finSent:
            return eventLoop.makeFailedFuture(QUICError(.streamFinished, "stream \(stream.id) is already finished; open a new stream"))
        }
        if closeReason != nil || stream.closed || state != .established {
            return eventLoop.makeFailedFuture(QUICError(.connectionClosed, "cannot write to stream \(stream.id): \(closeReason.map { "\($0)" } ?? "stream closed")"))
        }
        let promise = eventLoop.makePromise(of: Void.self)
        stream.enqueue(buffer, finish: finish, promise: promise, lowWatermark: settings.writeBufferLowWatermark)
        enqueueSend(stream)
        return promise.futureResult
    }

    func cancelWrites(_ stream: StreamCore) {
        stream.failSend(QUICError(.streamFinished, "a write to stream \(stream.id) was cancelled; the stream was reset"))
        shutdownWrite(stream, code: 0)
    }

    func shutdownWrite(_ stream: StreamCore, code: UInt64) {
        stream.failSend(QUICError(.streamFinished, "stream \(stream.id) was reset locally with code \(code)"))
        guard let conn, !stream.closed else { return }
        ngtcp2_conn_shutdown_stream_write(conn, stream.id, code)
        endpoint.markDirty(self)
        endpoint.scheduleFlush()
    }

    func shutdownRead(_ stream: StreamCore, code: UInt64) {
        guard let conn else { return }
        let dropped = stream.shutdownRead(code: code)
        if dropped > 0 { returnCredit(of: stream, dropped) }
        if !stream.closed {
            ngtcp2_conn_shutdown_stream_read(conn, stream.id, code)
        }
        endpoint.markDirty(self)
        endpoint.scheduleFlush()
    }

    func statistics() -> QUICConnectionStatistics? {
        guard let conn else { return nil }
        var stat = ngtcp2_conn_stat()
        qf_ngtcp2_conn_get_conn_stat(conn, &stat)
        return QUICConnectionStatistics(
            smoothedRTT: .nanoseconds(Int64(clamping: stat.smoothed_rtt)),
            minRTT: .nanoseconds(Int64(clamping: stat.min_rtt)),
            latestRTT: .nanoseconds(Int64(clamping: stat.latest_rtt)),
            congestionWindow: Int(clamping: stat.cwnd),
            bytesInFlight: Int(clamping: stat.bytes_in_flight),
            openStreams: streams.count)
    }

    // MARK: - Callbacks from ngtcp2 (always inside a call made above)

    fileprivate func onHandshakeCompleted() -> Int32 {
        state = .established
        var alpn = gnutls_datum_t()
        if gnutls_alpn_get_selected_protocol(session, &alpn) == 0, let data = alpn.data {
            applicationProtocol = String(decoding: UnsafeBufferPointer(start: data, count: Int(alpn.size)), as: UTF8.self)
        }
        guard let applicationProtocol, endpoint.configuration.tls.applicationProtocols.contains(applicationProtocol) else {
            logger.debug("refusing a connection without a common ALPN protocol", metadata: ["peer": "\(remote.socketAddress)"])
            ngtcp2_conn_set_tls_alert(conn, 120)  // no_application_protocol
            return NGTCP2_ERR_CALLBACK_FAILURE
        }
        // 256 bytes of name (a client id may be that long, PROTOCOL.md) and its NUL.
        var cn = [CChar](repeating: 0, count: 257)
        var names = [CChar](repeating: 0, count: 4096)
        if qf_tls_peer_identity(session, &cn, cn.count, &names, names.count) == 0 {
            let commonName = String(nulTerminated: cn)
            let dnsNames = String(nulTerminated: names).split(separator: "\n").map(String.init)
            peerIdentity = QUICPeerIdentity(commonName: commonName.isEmpty ? nil : commonName, dnsNames: dnsNames)
        }
        let handle = QUICConnection(core: self)
        self.handle = handle
        if isServer {
            endpoint.releaseHandshakeSlot(of: self)
            endpoint.accepted(handle)
        }
        return 0
    }

    fileprivate func onHandshakeConfirmed() -> Int32 {
        // A client reports success only now: the server has verified our
        // certificate (mTLS) once it confirms the handshake.
        if let promise = handshakePromise, let handle {
            handshakePromise = nil
            promise.succeed(handle)
        }
        return 0
    }

    fileprivate func onStreamOpen(_ id: Int64) -> Int32 {
        guard ngtcp2_is_bidi_stream(id) != 0 else {
            // PROTOCOL.md: unidirectional streams are not used.
            ngtcp2_conn_shutdown_stream_read(conn, id, 6)
            return 0
        }
        let stream = StreamCore(id: id, counter: endpoint.counter)
        streams[id] = stream
        inboundContinuation.yield(QUICStream(connection: self, stream: stream))
        return 0
    }

    fileprivate func onReceive(_ id: Int64, flags: UInt32, data: UnsafePointer<UInt8>?, count: Int) -> Int32 {
        guard let stream = streams[id] else { return 0 }
        let fin = flags & UInt32(NGTCP2_STREAM_DATA_FLAG_FIN) != 0
        switch stream.receive(UnsafeRawBufferPointer(start: data, count: count), fin: fin, allocator: endpoint.allocator) {
        case .none:
            break
        case .creditDiscarded(let dropped):
            ngtcp2_conn_extend_max_stream_offset(conn, id, UInt64(dropped))
            ngtcp2_conn_extend_max_offset(conn, UInt64(dropped))
        case .deliver(let reader, let bytes):
            // Credit inside the callback is allowed (ngtcp2's examples do it).
            ngtcp2_conn_extend_max_stream_offset(conn, id, UInt64(bytes.readableBytes))
            ngtcp2_conn_extend_max_offset(conn, UInt64(bytes.readableBytes))
            reader.succeed(bytes)
        case .deliverEnd(let reader):
            reader.succeed(nil)
        }
        return 0
    }

    fileprivate func onAcked(_ id: Int64, offset: UInt64, count: UInt64) -> Int32 {
        streams[id]?.didAcknowledge(upTo: offset + count)
        return 0
    }

    fileprivate func onStreamReset(_ id: Int64, finalSize: UInt64, code: UInt64) -> Int32 {
        guard let stream = streams[id] else { return 0 }
        // Bytes that will now never be read still count against the
        // connection window: give them back.
        let credit = stream.peerReset(code: code, finalSize: finalSize)
        if credit > 0 {
            ngtcp2_conn_extend_max_offset(conn, credit)
        }
        return 0
    }

    fileprivate func onStreamClose(_ id: Int64, flags: UInt32, code: UInt64) -> Int32 {
        guard let stream = streams.removeValue(forKey: id) else { return 0 }
        let hasCode = flags & UInt32(NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET) != 0
        stream.didClose(applicationErrorCode: hasCode ? code : nil)
        if ngtcp2_conn_is_local_stream(conn, id) == 0 && ngtcp2_is_bidi_stream(id) != 0 {
            // Let the peer open another stream in place of this one.
            ngtcp2_conn_extend_max_streams_bidi(conn, 1)
        }
        return 0
    }

    fileprivate func onExtendMaxLocalStreams() -> Int32 {
        while !openWaiters.isEmpty, let conn {
            var id: Int64 = -1
            guard ngtcp2_conn_open_bidi_stream(conn, &id, nil) == 0 else { break }
            let stream = StreamCore(id: id, counter: endpoint.counter)
            streams[id] = stream
            openWaiters.removeFirst().succeed(QUICStream(connection: self, stream: stream))
        }
        return 0
    }

    fileprivate func onExtendMaxStreamData(_ id: Int64) -> Int32 {
        if let stream = streams[id], stream.didUnblockFlowControl() {
            if stream.hasPendingSend {
                stream.inSendQueue = false
                enqueueSend(stream)
            }
        }
        return 0
    }

    fileprivate func onNewConnectionID(_ cid: UnsafeMutablePointer<ngtcp2_cid>, token: UnsafeMutablePointer<UInt8>) -> Int32 {
        let id = ConnectionID.random()
        cid.pointee = id.cid
        endpoint.statelessResetToken(for: cid.pointee, into: token)
        routedIDs.insert(id)
        endpoint.route(id, to: self)
        return 0
    }

    fileprivate func onRemoveConnectionID(_ cid: ngtcp2_cid) -> Int32 {
        let id = ConnectionID(cid)
        routedIDs.remove(id)
        endpoint.unroute(id)
        return 0
    }

    fileprivate func onStatelessReset() -> Int32 {
        receivedStatelessReset = true
        return 0
    }

    fileprivate func log(_ line: String) {
        logger.trace("\(line)", metadata: ["quic.peer": "\(remote.socketAddress)"])
    }

    // MARK: - The callback table

    private static func core(_ userData: UnsafeMutableRawPointer?) -> ConnectionCore {
        Unmanaged<ConnectionCore>.fromOpaque(userData!).takeUnretainedValue()
    }

    private static func callbacks(isServer: Bool) -> ngtcp2_callbacks {
        var cb = ngtcp2_callbacks()
        if isServer {
            cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb
        } else {
            cb.client_initial = ngtcp2_crypto_client_initial_cb
            cb.recv_retry = ngtcp2_crypto_recv_retry_cb
        }
        cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb
        cb.encrypt = ngtcp2_crypto_encrypt_cb
        cb.decrypt = ngtcp2_crypto_decrypt_cb
        cb.hp_mask = ngtcp2_crypto_hp_mask_cb
        cb.update_key = ngtcp2_crypto_update_key_cb
        cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb
        cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb
        cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb
        cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb
        cb.rand = { dest, count, _ in
            var generator = SystemRandomNumberGenerator()
            guard let dest else { return }
            for i in 0..<count { dest[i] = generator.next() }
        }
        cb.handshake_completed = { _, userData in ConnectionCore.core(userData).onHandshakeCompleted() }
        cb.handshake_confirmed = { _, userData in ConnectionCore.core(userData).onHandshakeConfirmed() }
        cb.stream_open = { _, id, userData in ConnectionCore.core(userData).onStreamOpen(id) }
        cb.recv_stream_data = { _, flags, id, _, data, count, userData, _ in
            ConnectionCore.core(userData).onReceive(id, flags: flags, data: data, count: count)
        }
        cb.acked_stream_data_offset = { _, id, offset, count, userData, _ in
            ConnectionCore.core(userData).onAcked(id, offset: offset, count: count)
        }
        cb.stream_reset = { _, id, finalSize, code, userData, _ in
            ConnectionCore.core(userData).onStreamReset(id, finalSize: finalSize, code: code)
        }
        cb.stream_close = { _, flags, id, code, userData, _ in ConnectionCore.core(userData).onStreamClose(id, flags: flags, code: code) }
        cb.extend_max_local_streams_bidi = { _, _, userData in ConnectionCore.core(userData).onExtendMaxLocalStreams() }
        cb.extend_max_stream_data = { _, id, _, userData, _ in ConnectionCore.core(userData).onExtendMaxStreamData(id) }
        cb.get_new_connection_id = { _, cid, token, _, userData in
            ConnectionCore.core(userData).onNewConnectionID(cid!, token: token!)
        }
        cb.remove_connection_id = { _, cid, userData in ConnectionCore.core(userData).onRemoveConnectionID(cid!.pointee) }
        cb.recv_stateless_reset = { _, _, userData in ConnectionCore.core(userData).onStatelessReset() }
        return cb
    }

    /// Routes ngtcp2's log lines to the owning connection's logger.
    static let installLogSink: Void = {
        qf_set_log_sink { userData, line in
            guard let userData, let line else { return }
            ConnectionCore.core(userData).log(String(cString: line))
        }
    }()
}
