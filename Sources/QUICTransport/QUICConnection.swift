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

    /// One request and its answer on a new stream, without leaving the event
    /// loop in between: opens a bidirectional stream (waiting if the peer's
    /// stream limit is reached), writes `request` followed by FIN, and reads
    /// the answer through `reader`: to the peer's FIN, or until the reader
    /// has its output (bytes it refuses after that reset the stream and go
    /// to `afterOutput`).
    ///
    /// All of it is bounded by `timeout`; past it the call throws
    /// ``QUICError/Code/timedOut`` and the stream is reset (and asked to
    /// stop sending) with `abandonErrorCode`, as it is on task cancellation.
    /// A reader that throws resets the stream with its
    /// ``QUICStreamReader/violationErrorCode`` and its error is rethrown.
    public func exchange<Reader: QUICStreamReader>(
        sending request: ByteBuffer, readingWith reader: Reader, timeout: TimeAmount, abandonErrorCode: UInt64 = 0,
        afterOutput: (@Sendable (any Error) -> Void)? = nil
    ) async throws -> Reader.Output {
        let core = self.core
        let promise = eventLoop.makePromise(of: Reader.Output.self)
        eventLoop.execute {
            StreamDrain(connection: core.value, reader: reader, promise: promise, afterOutput: afterOutput)
                .exchange(request, timeout: timeout, abandonCode: abandonErrorCode)
        }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
        }
    }

    /// Opens a stream, writes `bytes` and FIN, and returns once all of it
    /// is handed to QUIC: a one-way message in one hop into the event loop.
    ///
    /// A peer that keeps its stream limit or flow-control window closed
    /// makes this throw ``QUICError/Code/timedOut`` after `timeout`; the
    /// stream is then reset with `abandonErrorCode`, so the peer never
    /// handles a message its sender was told did not go out.
    public func send(_ bytes: ByteBuffer, timeout: TimeAmount, abandonErrorCode: UInt64 = 0) async throws {
        let core = self.core
        let future = eventLoop.flatSubmit {
            StreamSend(bytes, on: core.value, timeout: timeout, abandonCode: abandonErrorCode).promise.futureResult
        }
        try await future.get()
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
