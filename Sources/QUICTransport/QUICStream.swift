public import NIOCore

/// A bidirectional QUIC stream.
///
/// Read with ``read()`` or by iterating ``inbound`` (ends at the peer's
/// FIN; a reset throws a ``QUICError`` carrying the peer's code). ``write(_:)``
/// suspends while flow control or congestion keeps the stream's unsent bytes
/// above ``QUICSettings/writeBufferLowWatermark``.
public final class QUICStream: Sendable {
    /// The QUIC stream ID.
    public let id: Int64
    private let connection: NIOLoopBound<ConnectionCore>
    private let stream: NIOLoopBound<StreamCore>
    private let eventLoop: any EventLoop

    init(connection: ConnectionCore, stream: StreamCore) {
        self.id = stream.id
        self.eventLoop = connection.eventLoop
        self.connection = NIOLoopBound(connection, eventLoop: connection.eventLoop)
        self.stream = NIOLoopBound(stream, eventLoop: connection.eventLoop)
    }

    /// The stream's state; only on the event loop.
    var core: StreamCore { stream.value }

    /// The next bytes from the peer, or `nil` at the end of the stream.
    public func read() async throws -> ByteBuffer? {
        let connection = self.connection
        let stream = self.stream
        let future = eventLoop.flatSubmit { connection.value.read(stream.value) }
        return try await withTaskCancellationHandler {
            try await future.get()
        } onCancel: {
            eventLoop.execute { connection.value.cancelRead(stream.value) }
        }
    }

    /// Reads until the end of the stream, refusing more than `maxBytes`.
    public func readAll(maxBytes: Int) async throws -> ByteBuffer {
        var result = ByteBuffer()
        while var chunk = try await read() {
            if result.readableBytes + chunk.readableBytes > maxBytes {
                throw QUICError(.invalidConfiguration, "stream \(id) carries more than \(maxBytes) bytes")
            }
            result.writeBuffer(&chunk)
        }
        return result
    }

    /// Reads the stream through `reader`, which runs on the event loop
    /// chunk by chunk, and returns its output: one hop into the loop and one
    /// back for the whole stream. The output comes as soon as the reader
    /// has it, before FIN if the reader completes early; bytes it refuses
    /// after that reset the stream and go to `afterOutput`. When the reader
    /// throws before its output, the stream is reset with its
    /// ``QUICStreamReader/violationErrorCode`` and the error is rethrown.
    public func read<Reader: QUICStreamReader>(
        using reader: Reader, afterOutput: (@Sendable (any Error) -> Void)? = nil
    ) async throws -> Reader.Output {
        let connection = self.connection
        let stream = self.stream
        let promise = eventLoop.makePromise(of: Reader.Output.self)
        eventLoop.execute {
            StreamDrain(connection: connection.value, reader: reader, promise: promise, afterOutput: afterOutput)
                .read(stream.value)
        }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
        }
    }

    /// The inbound bytes as an async sequence.
    public var inbound: QUICStreamInbound { QUICStreamInbound(stream: self) }

    /// Sends `buffer`, suspending while too much is still unsent.
    public func write(_ buffer: ByteBuffer) async throws {
        try await submitWrite(buffer, finish: false)
    }

    /// Sends `buffer` and then the end of the stream (FIN).
    public func write(_ buffer: ByteBuffer, finish: Bool) async throws {
        try await submitWrite(buffer, finish: finish)
    }

    /// Ends the send side (FIN) once everything written is handed over.
    public func finish() async throws {
        try await submitWrite(ByteBuffer(), finish: true)
    }

    /// Abandons the send side with RESET_STREAM carrying `errorCode`.
    public func reset(errorCode: UInt64) async {
        let connection = self.connection
        let stream = self.stream
        try? await eventLoop.submit { connection.value.shutdownWrite(stream.value, code: errorCode) }.get()
    }

    /// Asks the peer to stop sending (STOP_SENDING with `errorCode`) and
    /// discards what arrives.
    public func stopSending(errorCode: UInt64) async {
        let connection = self.connection
        let stream = self.stream
        try? await eventLoop.submit { connection.value.shutdownRead(stream.value, code: errorCode) }.get()
    }

    /// Buffer sizes, for tests.
    func bufferState() async throws -> StreamBufferState {
        let stream = self.stream
        return try await eventLoop.submit {
            let s = stream.value
            return StreamBufferState(
                unsentBytes: s.unsent.reduce(0) { $0 + $1.count } - s.sentIntoFirst,
                inflightBytes: s.inflight.reduce(0) { $0 + $1.count },
                receivedBytes: s.received?.readableBytes ?? 0,
                sentOffset: s.sentOffset,
                flowBlocked: s.flowBlocked)
        }.get()
    }

    private func submitWrite(_ buffer: ByteBuffer, finish: Bool) async throws {
        let connection = self.connection
        let stream = self.stream
        let future = eventLoop.flatSubmit { connection.value.write(buffer, to: stream.value, finish: finish) }
        try await withTaskCancellationHandler {
            try await future.get()
        } onCancel: {
            eventLoop.execute { connection.value.cancelWrites(stream.value) }
        }
    }
}
