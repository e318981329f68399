import NIOCore

extension StreamCore {
    /// What the connection does after ``StreamCore/receive(_:fin:allocator:)``:
    /// the stream keeps the counters, the connection talks to ngtcp2, and a
    /// waiting reader is completed only after its credit is returned.
    enum ReceiveAction {
        /// Nothing: the bytes wait for the reader, or there were none.
        case none
        /// Nobody will read these bytes: return their credit at once.
        case creditDiscarded(Int)
        /// Return the credit for `bytes`, then hand them to `reader`.
        case deliver(EventLoopPromise<ByteBuffer?>, ByteBuffer)
        /// Tell `reader` the stream ended (FIN with no bytes left).
        case deliverEnd(EventLoopPromise<ByteBuffer?>)
    }
}
