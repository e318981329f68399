/// The identity in the peer's verified certificate (mTLS on a server, the
/// server's certificate on a client).
public struct QUICPeerIdentity: Sendable, Hashable {
    /// The subject's common name, if the certificate has one.
    public let commonName: String?
    /// The DNS names of the subject alternative name extension.
    public let dnsNames: [String]

    /// Creates an identity.
    public init(commonName: String?, dnsNames: [String]) {
        self.commonName = commonName
        self.dnsNames = dnsNames
    }
}
