import NIOCore
import Synchronization

/// The state of one stream, confined to its connection's event loop.
///
/// Receive side: bytes wait in `received` until the application reads them;
/// only then is flow-control credit returned to the peer, so a reader that
/// does not read throttles its peer. Send side: written bytes wait in
/// `unsent` until ngtcp2 packs them, then in `inflight` until acknowledged.
///
/// Each side's state is an enum (``ReceiveState``, ``SendState``) changed
/// only by the named methods here; the connection reads it and does the
/// ngtcp2 calls the methods ask for.
final class StreamCore {
    let id: Int64
    private let counter: ObjectCounter

    // Receive side.
    private(set) var receiveState: ReceiveState = .open(reader: nil)
    /// Bytes waiting for the reader: `nil` or non-empty, and `nil` unless
    /// the receive side is `.open` or `.finReceived`.
    private(set) var received: ByteBuffer?
    /// Bytes handed to the reader or dropped (the flow-control credit
    /// already returned).
    private(set) var consumedOffset: UInt64 = 0
    /// Bytes received from the peer so far.
    private(set) var receivedOffset: UInt64 = 0

    // Send side.
    private(set) var sendState: SendState = .open
    private(set) var unsent = CircularBuffer<SendChunk>()
    /// Bytes of `unsent.first` already handed to ngtcp2.
    private(set) var sentIntoFirst = 0
    private(set) var inflight = CircularBuffer<SendChunk>()
    private(set) var queuedOffset: UInt64 = 0
    private(set) var sentOffset: UInt64 = 0
    private(set) var ackedOffset: UInt64 = 0
    /// Writers waiting for the unsent bytes up to `end` to drain below the
    /// low watermark.
    private var writeWaiters = CircularBuffer<(end: UInt64, promise: EventLoopPromise<Void>)>()
    /// Queued in the connection's list of streams with something to send;
    /// the connection's bookkeeping, kept here to spare a set lookup.
    var inSendQueue = false
    /// ngtcp2 said the peer's flow control blocks this stream.
    private(set) var flowBlocked = false

    /// ngtcp2 closed the stream; nothing more will arrive or leave.
    private(set) var closed = false

    init(id: Int64, counter: ObjectCounter) {
        self.id = id
        self.counter = counter
        counter.streams.add(1, ordering: .relaxed)
    }

    deinit {
        counter.streams.subtract(1, ordering: .relaxed)
    }

    // MARK: - Receive side

    /// Takes `bytes` (and the end of the stream if `fin`) from the peer and
    /// says what the connection must do about them.
    func receive(_ bytes: UnsafeRawBufferPointer, fin: Bool, allocator: ByteBufferAllocator) -> ReceiveAction {
        receivedOffset += UInt64(bytes.count)
        let reader: EventLoopPromise<ByteBuffer?>?
        switch receiveState {
        case .failed:
            // Nobody will read them; held credit would stall the connection.
            guard bytes.count > 0 else { return .none }
            consumedOffset += UInt64(bytes.count)
            return .creditDiscarded(bytes.count)
        case .finReceived:
            reader = nil
        case .open(let waiting):
            reader = waiting
        }
        if bytes.count > 0 {
            if received == nil {
                received = allocator.buffer(capacity: max(bytes.count, 2048))
            }
            received!.writeBytes(bytes)
        }
        if fin {
            receiveState = .finReceived
        }
        guard let reader else { return .none }
        if let data = received, data.readableBytes > 0 {
            received = nil
            consumedOffset += UInt64(data.readableBytes)
            if !fin {
                receiveState = .open(reader: nil)
            }
            return .deliver(reader, data)
        }
        return fin ? .deliverEnd(reader) : .none
    }

    /// Takes the bytes waiting for the reader, counting them as consumed;
    /// the caller returns their credit.
    func takeReceived() -> ByteBuffer? {
        guard let data = received, data.readableBytes > 0 else { return nil }
        received = nil
        consumedOffset += UInt64(data.readableBytes)
        return data
    }

    /// Parks `reader` until bytes or the end of the stream arrive; only
    /// when the receive side is `.open` with no reader and nothing buffered.
    func awaitData(_ reader: EventLoopPromise<ByteBuffer?>) {
        receiveState = .open(reader: reader)
    }

    /// Fails the waiting reader, if any, with `CancellationError`; the
    /// stream stays readable.
    func cancelRead() {
        if case .open(let reader?) = receiveState {
            receiveState = .open(reader: nil)
            reader.fail(CancellationError())
        }
    }

    /// Ends the receive side with an error (reset, connection closed).
    /// A stream whose FIN already arrived keeps its data for the reader.
    func failReceive(_ error: QUICError) {
        guard case .open(let reader) = receiveState else { return }
        receiveState = .failed(error)
        received = nil
        reader?.fail(error)
    }

    /// We stop reading (STOP_SENDING with `code`): the reader fails, and
    /// buffered bytes are dropped. Returns how many were dropped, whose
    /// credit the caller returns. After FIN the stream stays finished, so a
    /// later read sees the end of the stream.
    func shutdownRead(code: UInt64) -> Int {
        let buffered = received?.readableBytes ?? 0
        failReceive(QUICError(.stopSending, "stream \(id): reading was stopped locally with code \(code)", applicationErrorCode: code))
        received = nil
        consumedOffset += UInt64(buffered)
        return buffered
    }

    /// The peer reset its send side with `code` at `finalSize`. Fails the
    /// receive side unless FIN arrived first, drops what is buffered, and
    /// returns the connection-level credit the caller gives back for bytes
    /// that will now never be read.
    func peerReset(code: UInt64, finalSize: UInt64) -> UInt64 {
        if case .open = receiveState {
            failReceive(QUICError(.streamReset, "the peer reset stream \(id) with code \(code)", applicationErrorCode: code))
        }
        var credit: UInt64 = 0
        if finalSize > consumedOffset {
            credit = finalSize - consumedOffset
            consumedOffset = finalSize
        }
        received = nil
        return credit
    }

    // MARK: - Send side

    /// Something is waiting to be handed to ngtcp2.
    var hasPendingSend: Bool {
        switch sendState {
        case .open: !unsent.isEmpty
        case .finRequested: true
        case .finSent, .failed: false
        }
    }

    /// FIN was asked for and not yet handed to ngtcp2.
    var finPending: Bool {
        if case .finRequested = sendState { return true }
        return false
    }

    /// Queues `buffer` (and FIN if `finish`) while the send side is
    /// `.open`. `promise` completes at once when the unsent bytes stay
    /// within `lowWatermark`, else once they drain; with FIN, once FIN is
    /// handed to ngtcp2.
    func enqueue(_ buffer: ByteBuffer, finish: Bool, promise: EventLoopPromise<Void>, lowWatermark: Int) {
        if buffer.readableBytes > 0 {
            let chunk = buffer.withUnsafeReadableBytes { SendChunk(copying: $0, offset: queuedOffset) }
            queuedOffset += UInt64(chunk.count)
            unsent.append(chunk)
        }
        if finish {
            sendState = .finRequested(finisher: promise)
        } else if queuedOffset <= sentOffset + UInt64(lowWatermark) {
            promise.succeed(())
        } else {
            writeWaiters.append((queuedOffset, promise))
        }
    }

    /// Records that ngtcp2 took `count` more bytes (and the FIN if `fin`).
    func didSend(_ count: Int, fin: Bool, lowWatermark: Int) {
        var remaining = count
        sentOffset += UInt64(count)
        while remaining > 0, let first = unsent.first {
            let left = first.count - sentIntoFirst
            if remaining >= left {
                remaining -= left
                sentIntoFirst = 0
                inflight.append(unsent.removeFirst())
            } else {
                sentIntoFirst += remaining
                remaining = 0
            }
        }
        var finisher: EventLoopPromise<Void>?
        if fin, case .finRequested(let promise) = sendState {
            // FIN is only offered with every unsent byte before it.
            assert(unsent.isEmpty)
            sendState = .finSent
            finisher = promise
        }
        let limit = sentOffset + UInt64(lowWatermark)
        while let first = writeWaiters.first, first.end <= limit {
            writeWaiters.removeFirst().promise.succeed(())
        }
        finisher?.succeed(())
    }

    /// Releases acknowledged bytes; ngtcp2 reports them in order.
    func didAcknowledge(upTo end: UInt64) {
        ackedOffset = max(ackedOffset, end)
        while let first = inflight.first, first.end <= ackedOffset {
            inflight.removeFirst()
        }
    }

    /// Fails every pending writer and drops unsent data; the first error
    /// is the one later writes see.
    func failSend(_ error: QUICError) {
        var finisher: EventLoopPromise<Void>?
        switch sendState {
        case .failed:
            break
        case .finRequested(let promise):
            finisher = promise
            sendState = .failed(error)
        case .open, .finSent:
            sendState = .failed(error)
        }
        unsent.removeAll()
        sentIntoFirst = 0
        let writers = writeWaiters
        writeWaiters.removeAll()
        writers.forEach { $0.promise.fail(error) }
        finisher?.fail(error)
    }

    /// ngtcp2 refused more bytes: the peer's flow control blocks the stream.
    func didBlockOnFlowControl() {
        flowBlocked = true
    }

    /// The peer raised the stream's flow-control limit; returns whether the
    /// stream was blocked until now.
    func didUnblockFlowControl() -> Bool {
        guard flowBlocked else { return false }
        flowBlocked = false
        return true
    }

    // MARK: - Closing

    /// ngtcp2 closed the stream (its `stream_close` callback, with the
    /// application error code if one was set): whatever still waits on
    /// either side fails, and nothing is kept for retransmission.
    func didClose(applicationErrorCode code: UInt64?) {
        closed = true
        if hasPendingSend || !writeWaiters.isEmpty || finPending {
            failSend(QUICError(.streamReset, "stream \(id) closed before all data was sent\(code.map { " (code \($0))" } ?? "")", applicationErrorCode: code))
        }
        if case .open = receiveState {
            failReceive(QUICError(.streamReset, "stream \(id) closed before its end\(code.map { " (code \($0))" } ?? "")", applicationErrorCode: code))
        }
        inflight.removeAll()
    }

    /// The connection deleted its ngtcp2 state, after failing both sides;
    /// nothing may ask ngtcp2 about this stream any more.
    func markClosed() {
        closed = true
    }
}
