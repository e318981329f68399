public import NIOCore

/// A stream's inbound bytes as an `AsyncSequence` of buffers, ending at the
/// peer's FIN and throwing a ``QUICError`` if the stream is reset.
public struct QUICStreamInbound: AsyncSequence, Sendable {
    /// Each element is the bytes that arrived since the previous one.
    public typealias Element = ByteBuffer

    let stream: QUICStream

    /// Reads the stream chunk by chunk.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let stream: QUICStream

        /// The next chunk, or `nil` at the end of the stream.
        public mutating func next() async throws -> ByteBuffer? {
            try await stream.read()
        }
    }

    /// Makes an iterator.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(stream: stream)
    }
}
