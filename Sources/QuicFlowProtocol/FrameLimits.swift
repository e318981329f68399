/// Sizes fixed by the framing rules of PROTOCOL.md.
///
/// A frame on the wire is `length:u32 (big-endian) || Frame (protobuf, length bytes)`.
/// The limits here bound `length`, the size of the encoded ``Frame`` envelope.
public enum FrameLimits {
    /// The size of the big-endian length prefix in front of every frame, in bytes.
    public static let lengthPrefixSize = 4

    /// The largest application payload the default limit is sized for: 1 MiB.
    public static let defaultMaxPayloadSize = 1 << 20

    /// Room for the envelope around the payload (the ``Frame`` fields and the
    /// nested message's own fields): 64 KiB.
    public static let envelopeAllowance = 64 << 10

    /// The default limit on an encoded ``Frame``: 1 MiB of payload plus 64 KiB of
    /// envelope, as PROTOCOL.md specifies. Receivers reject larger declared lengths.
    public static let defaultMaxFrameSize = defaultMaxPayloadSize + envelopeAllowance

    /// The largest length the 32-bit prefix can declare.
    ///
    /// A limit above this value has no further effect.
    public static let largestEncodableFrameSize = Int(UInt32.max)
}
