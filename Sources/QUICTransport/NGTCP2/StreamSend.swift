import NIOCore

/// A one-way message on a new stream: opens it (waiting for the peer's
/// stream limit), writes the bytes and FIN, and completes ``promise`` once
/// all of it is handed to ngtcp2, or fails it with
/// ``QUICError/Code/timedOut`` when that takes longer than the deadline.
///
/// A peer that grants no streams or no flow-control window must not hold a
/// sender forever: past the deadline a stream still waiting to open is reset
/// as soon as it opens, and a stream half written is reset at once, so the
/// peer never handles a message the sender was told did not go out.
///
/// Confined to the connection's event loop.
final class StreamSend {
    /// Where the send is; the deadline lives in the states it bounds.
    private enum State {
        /// Waiting for the peer's stream limit.
        case opening(timer: Scheduled<Void>)
        /// Bytes queued on the stream, waiting for ngtcp2 to take them.
        case writing(StreamCore, timer: Scheduled<Void>)
        /// Handed over, timed out or failed.
        case done
    }

    let promise: EventLoopPromise<Void>
    private let connection: ConnectionCore
    private let abandonCode: UInt64
    private var state: State

    /// Starts the send; the caller awaits ``promise``.
    init(_ bytes: ByteBuffer, on connection: ConnectionCore, timeout: TimeAmount, abandonCode: UInt64) {
        let promise = connection.eventLoop.makePromise(of: Void.self)
        self.promise = promise
        self.connection = connection
        self.abandonCode = abandonCode
        state = .done
        let timer = connection.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            timedOut(after: timeout)
        }
        state = .opening(timer: timer)
        connection.openStream().assumeIsolated().whenComplete { [self] opened in
            switch (opened, state) {
            case (.success(let handle), .opening(let timer)):
                state = .writing(handle.core, timer: timer)
                connection.write(bytes, to: handle.core, finish: true).assumeIsolated().whenComplete { [self] written in
                    finish(written)
                }
            case (.success(let handle), _):
                // The deadline passed while the peer's stream limit was closed.
                abandon(handle.core)
            case (.failure(let error), _):
                finish(.failure(error))
            }
        }
    }

    private func finish(_ result: Result<Void, any Error>) {
        switch state {
        case .opening(let timer), .writing(_, let timer):
            timer.cancel()
            state = .done
            promise.completeWith(result)
        case .done:
            return
        }
    }

    private func timedOut(after timeout: TimeAmount) {
        let previous = state
        state = .done
        let error = QUICError(
            .timedOut,
            "the peer did not take the message within \(timeout) (its stream limit or flow-control window stayed closed); the stream was reset")
        switch previous {
        case .opening:
            promise.fail(error)
        case .writing(let stream, _):
            abandon(stream)
            promise.fail(error)
        case .done:
            return
        }
    }

    private func abandon(_ stream: StreamCore) {
        connection.shutdownRead(stream, code: abandonCode)
        connection.shutdownWrite(stream, code: abandonCode)
    }
}
