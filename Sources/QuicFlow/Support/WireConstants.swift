/// Numbers fixed by PROTOCOL.md.
enum WireConstants {
    static let alpn = "quic-backbone-v1"
    static let maxClientIDLength = 256
    /// Frame envelope allowance on top of the payload limit.
    static let envelopeAllowance = 64 * 1024
}
