import NIOCore

/// Reads one stream through a ``QUICStreamReader`` without leaving the
/// event loop; for an exchange it first opens the stream and writes the
/// request. Completes ``promise`` once: with the reader's output, or with
/// the first failure (transport, reader, timeout or cancellation), after
/// which the stream is reset so neither side keeps state for it.
///
/// An output that is complete before FIN is delivered at once; the drain
/// then watches the rest of the stream, which must be empty: bytes the
/// reader refuses reset the stream and go to `afterOutput`.
///
/// Confined to the connection's event loop.
final class StreamDrain<Reader: QUICStreamReader> {
    /// Where the drain is; the exchange's timer lives in the states it bounds.
    private enum State {
        /// An exchange waits for the peer's stream limit to open its stream.
        case opening(timer: Scheduled<Void>?)
        /// Reading towards the output.
        case reading(StreamCore, timer: Scheduled<Void>?)
        /// The output went out before FIN; what follows must be nothing.
        case watching(StreamCore)
        /// Finished: FIN after the output, a failure, or a reset.
        case done

        var timer: Scheduled<Void>? {
            switch self {
            case .opening(let timer), .reading(_, let timer): timer
            case .watching, .done: nil
            }
        }

        var stream: StreamCore? {
            switch self {
            case .reading(let stream, _), .watching(let stream): stream
            case .opening, .done: nil
            }
        }
    }

    let promise: EventLoopPromise<Reader.Output>
    private let connection: ConnectionCore
    private var reader: Reader
    private let afterOutput: (@Sendable (any Error) -> Void)?
    private var state: State = .opening(timer: nil)
    private var abandonCode: UInt64 = 0
    /// The drain opened the stream (an exchange), so it resets it on failure.
    private var ownsStream = false
    /// The failure came from the reader, not the transport.
    private var readerFailed = false

    /// `promise` may be failed from any thread to give up (task
    /// cancellation); the drain then cleans up on the loop. `afterOutput`
    /// hears of bytes the reader refused after its output was delivered.
    init(
        connection: ConnectionCore, reader: Reader, promise: EventLoopPromise<Reader.Output>,
        afterOutput: (@Sendable (any Error) -> Void)? = nil
    ) {
        self.connection = connection
        self.reader = reader
        self.promise = promise
        self.afterOutput = afterOutput
        promise.futureResult.assumeIsolated().whenFailure { [self] error in
            failed(error)
        }
    }

    /// Drains an existing stream.
    func read(_ stream: StreamCore) {
        state = .reading(stream, timer: nil)
        next()
    }

    /// Opens a stream, writes `request` with FIN and reads the answer,
    /// failing with ``QUICError/Code/timedOut`` when all of that takes
    /// longer than `timeout`.
    func exchange(_ request: ByteBuffer, timeout: TimeAmount, abandonCode: UInt64) {
        self.abandonCode = abandonCode
        ownsStream = true
        let promise = self.promise
        state = .opening(
            timer: connection.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                promise.fail(QUICError(.timedOut, "no answer within \(timeout); the stream was reset"))
            })
        connection.openStream().assumeIsolated().whenComplete { [self] opened in
            switch opened {
            case .success(let handle):
                let stream = handle.core
                guard case .opening(let timer) = state else {
                    // Timed out or cancelled while waiting for the peer's stream limit.
                    abandon(stream, code: abandonCode)
                    return
                }
                state = .reading(stream, timer: timer)
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
        guard let stream = state.stream else { return }
        connection.read(stream).assumeIsolated().whenComplete { [self] result in
            switch state {
            case .reading:
                reading(result, on: stream)
            case .watching:
                watching(result, on: stream)
            case .opening, .done:
                return
            }
        }
    }

    private func reading(_ result: Result<ByteBuffer?, any Error>, on stream: StreamCore) {
        switch result {
        case .success(.some(let bytes)):
            let output: Reader.Output?
            do {
                output = try reader.consume(bytes)
            } catch {
                readerFailed = true
                promise.fail(error)
                return
            }
            if let output {
                state.timer?.cancel()
                state = .watching(stream)
                promise.succeed(output)
            }
            next()
        case .success(.none):
            state.timer?.cancel()
            do {
                let output = try reader.finish()
                state = .done
                promise.succeed(output)
            } catch {
                readerFailed = true
                promise.fail(error)
            }
        case .failure(let error):
            promise.fail(error)
        }
    }

    private func watching(_ result: Result<ByteBuffer?, any Error>, on stream: StreamCore) {
        switch result {
        case .success(.some(let bytes)):
            do {
                _ = try reader.consume(bytes)
            } catch {
                state = .done
                abandon(stream, code: reader.violationErrorCode)
                afterOutput?(error)
                return
            }
            next()
        case .success(.none), .failure:
            // FIN, or the peer reset a stream whose answer it already has.
            state = .done
        }
    }

    private func failed(_ error: any Error) {
        let previous = state
        state = .done
        previous.timer?.cancel()
        guard let stream = previous.stream else { return }
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
