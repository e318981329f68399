import NIOCore

/// Reads one stream to its end through a ``QUICStreamReader`` without
/// leaving the event loop; for an exchange it first opens the stream and
/// writes the request. Completes ``promise`` once: with the reader's output,
/// or with the first failure (transport, reader, timeout or cancellation),
/// after which the stream is reset so neither side keeps state for it.
///
/// Confined to the connection's event loop.
final class StreamDrain<Reader: QUICStreamReader> {
    let promise: EventLoopPromise<Reader.Output>
    private let connection: ConnectionCore
    private var reader: Reader
    private var stream: StreamCore?
    private var timer: Scheduled<Void>?
    private var abandonCode: UInt64 = 0
    /// The drain opened the stream (an exchange), so it resets it on failure.
    private var ownsStream = false
    private var done = false
    /// The failure came from the reader, not the transport.
    private var readerFailed = false

    /// `promise` may be failed from any thread to give up (task
    /// cancellation); the drain then cleans up on the loop.
    init(connection: ConnectionCore, reader: Reader, promise: EventLoopPromise<Reader.Output>) {
        self.connection = connection
        self.reader = reader
        self.promise = promise
        promise.futureResult.assumeIsolated().whenComplete { [self] result in
            finished(result)
        }
    }

    /// Drains an existing stream.
    func read(_ stream: StreamCore) {
        self.stream = stream
        next()
    }

    /// Opens a stream, writes `request` with FIN and drains the answer,
    /// failing with ``QUICError/Code/timedOut`` when all of that takes
    /// longer than `timeout`.
    func exchange(_ request: ByteBuffer, timeout: TimeAmount, abandonCode: UInt64) {
        self.abandonCode = abandonCode
        ownsStream = true
        let promise = self.promise
        timer = connection.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            promise.fail(QUICError(.timedOut, "no answer within \(timeout); the stream was reset"))
        }
        connection.openStream().assumeIsolated().whenComplete { [self] opened in
            switch opened {
            case .success(let handle):
                let stream = handle.core
                self.stream = stream
                guard !done else {
                    // Timed out or cancelled while waiting for the peer's stream limit.
                    abandon(stream, code: abandonCode)
                    return
                }
                connection.write(request, to: stream, finish: true).assumeIsolated().whenFailure { error in
                    promise.fail(error)
                }
                next()
            case .failure(let error):
                promise.fail(error)
            }
        }
    }

    private func next() {
        guard !done, let stream else { return }
        connection.read(stream).assumeIsolated().whenComplete { [self] result in
            guard !done else { return }
            switch result {
            case .success(.some(let bytes)):
                do {
                    try reader.consume(bytes)
                } catch {
                    readerFailed = true
                    promise.fail(error)
                    return
                }
                next()
            case .success(.none):
                do {
                    promise.succeed(try reader.finish())
                } catch {
                    readerFailed = true
                    promise.fail(error)
                }
            case .failure(let error):
                promise.fail(error)
            }
        }
    }

    private func finished(_ result: Result<Reader.Output, any Error>) {
        done = true
        timer?.cancel()
        timer = nil
        guard case .failure = result, let stream else { return }
        if readerFailed {
            abandon(stream, code: reader.violationErrorCode)
        } else if ownsStream {
            abandon(stream, code: abandonCode)
        } else {
            // Someone else's stream: stop waiting for it, leave it open.
            connection.cancelRead(stream)
        }
    }

    private func abandon(_ stream: StreamCore, code: UInt64) {
        connection.shutdownRead(stream, code: code)
        connection.shutdownWrite(stream, code: code)
    }
}
