import NIOCore
import Synchronization

/// The state of one stream, confined to its connection's event loop.
///
/// Receive side: bytes wait in `received` until the application reads them;
/// only then is flow-control credit returned to the peer, so a reader that
/// does not read throttles its peer. Send side: written bytes wait in
/// `unsent` until ngtcp2 packs them, then in `inflight` until acknowledged.
final class StreamCore {
    let id: Int64
    private let counter: ObjectCounter

    // Receive side.
    var received: ByteBuffer?
    var receivedFin = false
    var receiveError: QUICError?
    var pendingRead: EventLoopPromise<ByteBuffer?>?
    /// Bytes handed to the reader (the flow-control credit already returned).
    var consumedOffset: UInt64 = 0
    /// Bytes received from the peer so far.
    var receivedOffset: UInt64 = 0
    var readShutdown = false

    // Send side.
    var unsent = CircularBuffer<SendChunk>()
    /// Bytes of `unsent.first` already handed to ngtcp2.
    var sentIntoFirst = 0
    var inflight = CircularBuffer<SendChunk>()
    var queuedOffset: UInt64 = 0
    var sentOffset: UInt64 = 0
    var ackedOffset: UInt64 = 0
    var finRequested = false
    var finSent = false
    var sendError: QUICError?
    var writeWaiters = CircularBuffer<(end: UInt64, promise: EventLoopPromise<Void>)>()
    var finWaiters: [EventLoopPromise<Void>] = []
    /// Queued in the connection's list of streams with something to send.
    var inSendQueue = false
    /// ngtcp2 said the peer's flow control blocks this stream.
    var flowBlocked = false
    /// ngtcp2 closed the stream; nothing more will arrive or leave.
    var closed = false

    init(id: Int64, counter: ObjectCounter) {
        self.id = id
        self.counter = counter
        counter.streams.add(1, ordering: .relaxed)
    }

    deinit {
        counter.streams.subtract(1, ordering: .relaxed)
    }

    /// Something is waiting to be handed to ngtcp2.
    var hasPendingSend: Bool {
        sendError == nil && (!unsent.isEmpty || (finRequested && !finSent))
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
        if fin {
            finSent = true
        }
        completeWriters(lowWatermark: lowWatermark)
    }

    func completeWriters(lowWatermark: Int) {
        let limit = sentOffset + UInt64(lowWatermark)
        while let first = writeWaiters.first, first.end <= limit {
            writeWaiters.removeFirst().promise.succeed(())
        }
        if finSent && unsent.isEmpty {
            let waiters = finWaiters
            finWaiters.removeAll()
            waiters.forEach { $0.succeed(()) }
        }
    }

    /// Releases acknowledged bytes; ngtcp2 reports them in order.
    func didAcknowledge(upTo end: UInt64) {
        ackedOffset = max(ackedOffset, end)
        while let first = inflight.first, first.end <= ackedOffset {
            inflight.removeFirst()
        }
    }

    /// Fails every pending writer and drops unsent data.
    func failSend(_ error: QUICError) {
        if sendError == nil {
            sendError = error
        }
        unsent.removeAll()
        sentIntoFirst = 0
        let writers = writeWaiters
        writeWaiters.removeAll()
        writers.forEach { $0.promise.fail(error) }
        let finishers = finWaiters
        finWaiters.removeAll()
        finishers.forEach { $0.fail(error) }
    }

    /// Ends the receive side with an error (reset, connection closed).
    /// A stream whose FIN already arrived keeps its data for the reader.
    func failReceive(_ error: QUICError) {
        guard !receivedFin, receiveError == nil else { return }
        receiveError = error
        received = nil
        if let read = pendingRead {
            pendingRead = nil
            read.fail(error)
        }
    }
}
