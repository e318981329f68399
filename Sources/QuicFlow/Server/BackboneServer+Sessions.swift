import Logging
import NIOCore
import QUICTransport
import QuicFlowProtocol
import QuicFlowTime

/// Sessions: registration, the table of live connections, the directory,
/// heartbeats and eviction.
extension BackboneServer {
    nonisolated func acceptConnections(_ endpoint: QUICEndpoint) async {
        await withDiscardingTaskGroup { group in
            for await connection in endpoint.incomingConnections {
                group.addTask { await self.serve(connection) }
            }
        }
    }

    /// Runs one connection: registration on its first stream, then every
    /// stream in parallel until it closes.
    private nonisolated func serve(_ connection: QUICConnection) async {
        let timeout = configuration.registrationTimeout
        let clock = self.clock
        // Unstructured so that registration can cancel this timer alone
        // (a group cancels all or nothing); every path out cancels it.
        let registrationTimer = Task {
            try? await clock.sleep(for: timeout)
            if !Task.isCancelled {
                await self.countRegistrationTimeout()
                await connection.close(errorCode: CloseCode.registrationFailed, reason: "no registration within \(timeout)")
            }
        }
        var session: ClientSession?
        await withDiscardingTaskGroup { group in
            for await stream in connection.inboundStreams {
                if let session {
                    group.addTask { await self.serve(stream, of: session) }
                    continue
                }
                // Until a client registers, its other streams wait their turn.
                guard let registered = await register(from: stream, on: connection) else { break }
                registrationTimer.cancel()
                session = registered
            }
        }
        registrationTimer.cancel()
        let reason = await connection.closeReason
        if let session {
            await sessionEnded(session, reason)
        }
    }

    private func countRegistrationTimeout() {
        metricsState.counters.registrationTimeouts += 1
    }

    private func register(from stream: QUICStream, on connection: QUICConnection) async -> ClientSession? {
        func refuse(_ code: UInt64, _ why: String) async -> ClientSession? {
            metricsState.counters.registrationsRefused += 1
            logger.info("registration refused", metadata: ["peer": "\(connection.remoteAddress)", "reason": "\(why)"])
            await connection.close(errorCode: code, reason: why)
            return nil
        }
        let payload: FramePayload
        do {
            payload = try await exchange.io.read(stream)
        } catch {
            metricsState.counters.decodingErrors += 1
            return await refuse(CloseCode.registrationFailed, "registration: \(error.message)")
        }
        guard case .ping(let ping) = payload else {
            return await refuse(CloseCode.registrationFailed, "the first stream must carry a PING with the client id")
        }
        let clientID = ping.clientID
        guard !clientID.isEmpty, clientID.utf8.count <= WireConstants.maxClientIDLength else {
            // A Go QuicFlow client sets no limit: say what it sent, so its operator can shorten it.
            return await refuse(
                CloseCode.registrationFailed,
                "the client id is \(clientID.utf8.count) bytes; QuicFlow takes 1 to \(WireConstants.maxClientIDLength) bytes (PROTOCOL.md), so register with a shorter id")
        }
        if configuration.requireClientCertificate {
            let certified = connection.peerIdentity?.commonName
            guard certified == clientID else {
                return await refuse(
                    CloseCode.identityMismatch,
                    "client id '\(clientID)' does not match the certificate's common name '\(certified ?? "none")'")
            }
        }
        guard lifecycle.isRunning else {
            return await refuse(CloseCode.shuttingDown, "server shutting down")
        }
        if sessions[clientID] == nil, sessions.count >= configuration.maxClients {
            metricsState.counters.maxClientsRefusals += 1
            return await refuse(CloseCode.serverFull, "server full: \(configuration.maxClients) clients are connected")
        }
        let now = WallClock.system.unixMilliseconds()
        let session = ClientSession(clientID: clientID, connection: connection, connectedAt: now)
        if let old = sessions.insert(SessionRecord(session: session, lastSeen: clock.now(), lastHeartbeat: now, endedBy: nil)) {
            // The newer session wins: an agent whose address changed comes back at once.
            let oldConnection = old.session.connection
            // Unstructured: the old connection's own serve() task observes the
            // close; this registration must not wait for its peer.
            Task { await oldConnection.close(errorCode: CloseCode.superseded, reason: "superseded by a newer session") }
        }
        metricsState.counters.totalConnections += 1
        metricsState.counters.heartbeatsReceived += 1
        do {
            var pong = PongFrame()
            pong.serverTime = now
            try await exchange.io.write(.pong(pong), to: stream)
            metricsState.counters.heartbeatsSent += 1
        } catch {
            metricsState.counters.networkErrors += 1
        }
        guard sessions.isCurrent(session), let info = sessions[clientID]?.info() else { return session }
        await recordPresence(of: session, at: now)
        hooks.onConnect?(info)
        logger.info("client registered", metadata: ["client": "\(clientID)", "peer": "\(connection.remoteAddress)"])
        return session
    }

    private func sessionEnded(_ session: ClientSession, _ closeReason: QUICCloseReason) async {
        let reason: DisconnectReason
        if let record = sessions.remove(session) {
            reason = record.endedBy ?? Self.disconnectReason(closeReason)
        } else {
            reason = .superseded
        }
        metricsState.counters.totalDisconnects += 1
        hooks.onDisconnect?(session.clientID, reason)
        logger.info("client disconnected", metadata: ["client": "\(session.clientID)", "reason": "\(reason)"])
        do {
            try await directory.remove(clientID: session.clientID, sessionID: session.id)
        } catch {
            logger.error("cannot remove a session from the client directory", metadata: ["client": "\(session.clientID)", "error": "\(error)"])
        }
    }

    private static func disconnectReason(_ reason: QUICCloseReason) -> DisconnectReason {
        switch reason {
        case .application(let code, _, byPeer: true):
            return .closedByClient(code: code)
        default:
            return .connectionLost("\(reason)")
        }
    }

    /// Closes the session of `clientID` with code 2 (superseded) when it
    /// registered with an epoch below `epoch`: the device registered again
    /// on another node of a cluster. A late notice about an older
    /// registration finds a newer epoch here and changes nothing.
    /// - Returns: whether a session was closed.
    @discardableResult
    public func supersede(clientID: String, epoch: Int64) -> Bool {
        guard let record = sessions.supersede(clientID, below: epoch) else { return false }
        closeSuperseded(record, epoch: epoch)
        return true
    }

    private func closeSuperseded(_ record: SessionRecord, epoch: Int64) {
        let clientID = record.session.clientID
        logger.info("client registered on another node; closing its session here", metadata: [
            "client": "\(clientID)", "epoch": "\(epoch)",
        ])
        let connection = record.session.connection
        // Unstructured: closing waits for the peer; the session's serve()
        // task sees the close and ends it.
        Task { await connection.close(errorCode: CloseCode.superseded, reason: "registered again on another node") }
    }

    /// Notes that `session` was heard from (any stream counts). The
    /// directory, which other nodes read, hears only of heartbeats
    /// (`isHeartbeat`): a message per stream would cost every message a write.
    func touch(_ session: ClientSession, isHeartbeat: Bool) async {
        let now = WallClock.system.unixMilliseconds()
        sessions.touch(session, at: clock.now(), unixMilliseconds: now)
        guard isHeartbeat else { return }
        if sessions.takeMissingPresence(of: session) {
            await recordPresence(of: session, at: now)
        } else {
            _ = try? await directory.heartbeat(clientID: session.clientID, sessionID: session.id, at: now)
        }
    }

    /// Writes `session`'s registration to the directory. When that fails the
    /// session goes on here, and its next heartbeat writes it again: the
    /// heartbeat shows the device is on this session, so it may claim the
    /// directory entry (and close an older session on another node).
    private func recordPresence(of session: ClientSession, at now: Int64) async {
        do {
            let registration = try await directory.register(ClientPresence(
                clientID: session.clientID, node: configuration.serverID, sessionID: session.id,
                remoteAddress: session.connection.remoteAddress.hostPort, connectedAt: session.connectedAt,
                lastHeartbeat: now))
            // A takeover notice may have outrun this write.
            if let (superseded, notice) = sessions.recorded(registration.epoch, of: session) {
                closeSuperseded(superseded, epoch: notice)
            }
        } catch {
            sessions.presenceMissing(of: session)
            logger.error("cannot record a registration in the client directory; the device's next heartbeat tries again", metadata: [
                "client": "\(session.clientID)", "error": "\(error)",
            ])
        }
    }

    /// Every quarter of the heartbeat timeout (at most a second), ends the
    /// sessions silent for longer than the timeout.
    nonisolated func sweepSilentClients() async {
        let interval = max(min(configuration.heartbeatTimeout / 4, .seconds(1)), .milliseconds(10))
        while !Task.isCancelled {
            do {
                try await clock.sleep(for: interval)
            } catch {
                return
            }
            await evictSilentClients()
        }
    }

    /// Ends the sessions silent for more than the heartbeat timeout.
    func evictSilentClients() {
        let timeout = configuration.heartbeatTimeout
        for record in sessions.endSilent(timeout: timeout, now: clock.now()) {
            let clientID = record.session.clientID
            metricsState.counters.heartbeatTimeouts += 1
            hooks.onHeartbeatTimeout?(clientID)
            let connection = record.session.connection
            // Unstructured: closing waits for the peer, and the sweep must go on;
            // the session's serve() task sees the close and ends it.
            Task { await connection.close(errorCode: CloseCode.heartbeatTimeout, reason: "nothing heard for \(timeout)") }
        }
    }
}
