/// What a stream holds in memory, for tests of back-pressure and cleanup.
struct StreamBufferState: Sendable {
    /// Written bytes not yet handed to ngtcp2.
    var unsentBytes: Int
    /// Sent bytes kept for retransmission until acknowledged.
    var inflightBytes: Int
    /// Received bytes waiting for the reader.
    var receivedBytes: Int
    /// Bytes handed to ngtcp2 so far.
    var sentOffset: UInt64
    /// The peer's flow control currently blocks this stream.
    var flowBlocked: Bool
}
