/// A stream that is not QuicFlow's: the Go original multiplexes SSH,
/// file-transfer and port-forward streams on the backbone connection, each
/// opening with the 6-byte header `51 53 48 53` ("QSSH"), a version byte
/// and a type byte (PROTOCOL.md, "How the Go original really behaves").
/// QuicFlow carries none of them: such a stream is reset and logged, and it
/// is not counted as a protocol violation, since the peer is within its own
/// protocol.
struct ForeignStreamError: Error, Sendable, CustomStringConvertible {
    /// Magic, version, type.
    static let headerLength = 6
    /// The Go original's `MagicNumber` 0x51534853, big-endian. It is called
    /// "QSSH" there, though these bytes spell "QSHS" in ASCII.
    private static let magic: [UInt8] = [0x51, 0x53, 0x48, 0x53]

    /// The header's version byte.
    let version: UInt8
    /// The header's type byte.
    let type: UInt8

    init(header: [UInt8]) {
        version = header[4]
        type = header[5]
    }

    /// Whether `head` (the first bytes of a stream) can still become a QSSH header.
    static func mayBeHeader(_ head: [UInt8]) -> Bool {
        !head.isEmpty && magic.starts(with: head.prefix(magic.count))
    }

    /// What the Go original's header type means (pkg/ssh/protocol.go).
    var kind: String {
        switch type {
        case 0x00: "SSH data"
        case 0x01: "SSH"
        case 0x02: "file-transfer"
        case 0x03: "port-forward"
        default: "unknown kind of"
        }
    }

    var description: String {
        "the peer opened \("Su".contains(kind.first ?? " ") ? "an" : "a") \(kind) stream (QSSH header, version \(version), type \(type)), a Go QuicFlow extension this side does not carry; the stream was reset and the session stays up"
    }
}
