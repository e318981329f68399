/// Bytes handed to a stream's `write`, copied once into memory that stays
/// put until the peer acknowledges them: ngtcp2 keeps pointers to stream
/// data for retransmission instead of copying it.
final class SendChunk {
    let bytes: UnsafeMutableRawBufferPointer
    /// Stream offset of the first byte.
    let offset: UInt64

    init(copying source: UnsafeRawBufferPointer, offset: UInt64) {
        bytes = .allocate(byteCount: max(source.count, 1), alignment: 1)
        if source.count > 0 {
            bytes.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: source.count)
        }
        self.count = source.count
        self.offset = offset
    }

    let count: Int

    var end: UInt64 { offset + UInt64(count) }

    deinit {
        bytes.deallocate()
    }
}
