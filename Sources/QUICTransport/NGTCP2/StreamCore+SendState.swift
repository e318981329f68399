import NIOCore

extension StreamCore {
    /// Where the send side is. Written bytes and the writers waiting for
    /// them to drain are kept in buffers beside it, in `.open` and
    /// `.finRequested` only.
    enum SendState {
        /// Writes are accepted.
        case open
        /// The application asked for FIN; `finisher` completes once FIN is
        /// handed to ngtcp2 after every byte before it. Further writes fail.
        case finRequested(finisher: EventLoopPromise<Void>)
        /// FIN went to ngtcp2; nothing more may be written.
        case finSent
        /// Ended with an error (our reset, the peer's STOP_SENDING, the
        /// stream or connection closed): unsent bytes were dropped and every
        /// write fails with the first error.
        case failed(QUICError)
    }
}
