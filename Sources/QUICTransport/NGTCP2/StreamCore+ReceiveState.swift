import NIOCore

extension StreamCore {
    /// Where the receive side is. Bytes that wait for the reader live in
    /// ``StreamCore/received`` in `.open` and `.finReceived` only.
    enum ReceiveState {
        /// Bytes may still arrive. `reader` waits for them; there is one
        /// only while nothing is buffered.
        case open(reader: EventLoopPromise<ByteBuffer?>?)
        /// The peer's FIN arrived: buffered bytes stay for the reader, then
        /// it reads the end of the stream. Later errors do not replace it.
        case finReceived
        /// Ended without FIN (the peer's reset, the stream or connection
        /// closed, or our STOP_SENDING): reads fail with the error, and
        /// bytes that still arrive are credited back and dropped.
        case failed(QUICError)
    }
}
