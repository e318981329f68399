public import NIOCore

/// An established QUIC connection.
///
/// Open streams with ``openStream()``, accept the peer's streams from
/// ``inboundStreams``, and end it with ``close(errorCode:reason:)``;
/// ``closeReason`` tells how it ended, whoever ended it.
public final class QUICConnection: Sendable {
    let core: NIOLoopBound<ConnectionCore>
    let eventLoop: any EventLoop
    private let closed: EventLoopFuture<QUICCloseReason>

    /// The peer's address when the handshake completed.
    public let remoteAddress: SocketAddress
    /// The negotiated ALPN protocol.
    public let applicationProtocol: String
    /// The identity in the peer's verified certificate; `nil` when the peer
    /// sent none (a client without mTLS).
    public let peerIdentity: QUICPeerIdentity?
    /// Bidirectional streams opened by the peer, in order. Single consumer.
    /// Ends when the connection closes.
    public let inboundStreams: AsyncStream<QUICStream>

    /// Made on the event loop when the handshake completes.
    init(core: ConnectionCore) {
        self.core = NIOLoopBound(core, eventLoop: core.eventLoop)
        self.eventLoop = core.eventLoop
        self.closed = core.closedPromise.futureResult
        self.remoteAddress = core.remote.socketAddress
        self.applicationProtocol = core.applicationProtocol ?? ""
        self.peerIdentity = core.peerIdentity
        self.inboundStreams = core.inboundStreams
    }

    /// Opens a bidirectional stream, waiting if the peer's concurrent
    /// stream limit is reached.
    public func openStream() async throws -> QUICStream {
        let core = self.core
        let eventLoop = self.eventLoop
        return try await eventLoop.flatSubmit {
            core.value.openStream()
        }.get()
    }

    /// Closes the connection with an application error code and reason
    /// phrase, and returns how it ended (which may be an earlier close).
    @discardableResult
    public func close(errorCode: UInt64 = 0, reason: String = "") async -> QUICCloseReason {
        let core = self.core
        eventLoop.execute {
            core.value.close(code: errorCode, reason: reason)
        }
        return await closeReason
    }

    /// How the connection ended; waits until it does.
    public var closeReason: QUICCloseReason {
        get async {
            // The promise is always completed (close, timeout or endpoint
            // shutdown), never failed.
            (try? await closed.get()) ?? .endpointClosed
        }
    }

    /// Stream opens waiting for the peer to allow more streams, for tests.
    func pendingStreamOpens() async -> Int {
        let core = self.core
        return (try? await eventLoop.submit { core.value.pendingStreamOpens }.get()) ?? 0
    }

    /// RTT estimates and congestion state; `nil` once the connection is gone.
    public func statistics() async -> QUICConnectionStatistics? {
        let core = self.core
        return try? await eventLoop.submit { core.value.statistics() }.get()
    }
}
