/// What an issued certificate may be used for: its extended key usages.
public struct FleetCertificateUsage: OptionSet, Sendable, Hashable {
    /// The bits of the set.
    public let rawValue: UInt8

    /// Creates a set from its bits.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// TLS server authentication (`id-kp-serverAuth`).
    public static let serverAuth = FleetCertificateUsage(rawValue: 1 << 0)
    /// TLS client authentication (`id-kp-clientAuth`), for mutual TLS.
    public static let clientAuth = FleetCertificateUsage(rawValue: 1 << 1)
}
