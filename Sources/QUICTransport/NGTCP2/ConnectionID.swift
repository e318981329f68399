import CNgtcp2

/// A QUIC connection ID as a hashable value, used to route datagrams.
/// Stored inline (no allocation) because every datagram does a lookup.
struct ConnectionID: Hashable {
    // Up to 20 bytes, zero-padded into three words (a homogeneous tuple has
    // C array layout, which the byte copies below rely on).
    private var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
    private(set) var length: UInt8 = 0

    /// Our own connection IDs are this long; short-header packets are
    /// parsed with it.
    static let localLength = 16

    init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count <= Int(NGTCP2_MAX_CIDLEN))
        length = UInt8(bytes.count)
        if let base = bytes.baseAddress, bytes.count > 0 {
            withUnsafeMutableBytes(of: &words) { $0.baseAddress!.copyMemory(from: base, byteCount: bytes.count) }
        }
    }

    init(_ cid: ngtcp2_cid) {
        var cid = cid
        self = withUnsafeBytes(of: &cid.data) { ConnectionID(bytes: UnsafeRawBufferPointer(rebasing: $0.prefix(cid.datalen))) }
    }

    init(pointer: UnsafePointer<UInt8>?, length: Int) {
        self.init(bytes: UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : length))
    }

    static func random() -> ConnectionID {
        var generator = SystemRandomNumberGenerator()
        var id = ConnectionID(bytes: UnsafeRawBufferPointer(start: nil, count: 0))
        id.words = (generator.next(), generator.next(), 0)
        id.length = UInt8(localLength)
        return id
    }

    var cid: ngtcp2_cid {
        var result = ngtcp2_cid()
        var copy = words
        withUnsafeBytes(of: &copy) { raw in
            withUnsafeMutableBytes(of: &result.data) { out in
                out.baseAddress!.copyMemory(from: raw.baseAddress!, byteCount: Int(length))
            }
        }
        result.datalen = Int(length)
        return result
    }

    static func == (lhs: ConnectionID, rhs: ConnectionID) -> Bool {
        lhs.length == rhs.length && lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1
            && lhs.words.2 == rhs.words.2
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(length)
    }
}
