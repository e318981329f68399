/// A leaf certificate and its private key, issued by a ``TestCertificateAuthority``.
///
/// Both members are PEM text, ready to be written to disk with
/// ``TestCertificateAuthority/writeFiles(for:in:name:)`` or handed to a TLS stack directly.
public struct IssuedCertificate: Sendable, Hashable {
    /// The leaf certificate as a single `CERTIFICATE` PEM block.
    public let certificatePEM: String

    /// The leaf's P-256 private key as an unencrypted PKCS#8 `PRIVATE KEY` PEM block.
    ///
    /// PKCS#8 rather than SEC1 (`EC PRIVATE KEY`) because it is the one form every consumer we
    /// feed it to accepts: GnuTLS, OpenSSL and Python's `cryptography` (and so aioquic).
    public let privateKeyPEM: String

    /// The subject common name of the certificate.
    public let commonName: String

    /// The DNS names in the certificate's subject alternative name extension.
    public let dnsNames: [String]

    /// The IP address literals in the certificate's subject alternative name extension, as given
    /// to ``TestCertificateAuthority/issue(commonName:dnsNames:ipAddresses:validFor:)``.
    public let ipAddresses: [String]

    /// Creates an issued certificate from existing PEM text, for example one loaded from disk.
    ///
    /// - Parameters:
    ///   - certificatePEM: The certificate as a `CERTIFICATE` PEM block.
    ///   - privateKeyPEM: The matching private key as a PEM block.
    ///   - commonName: The subject common name of the certificate.
    ///   - dnsNames: The DNS names the certificate is valid for.
    ///   - ipAddresses: The IP address literals the certificate is valid for.
    public init(
        certificatePEM: String,
        privateKeyPEM: String,
        commonName: String,
        dnsNames: [String] = [],
        ipAddresses: [String] = []
    ) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        self.commonName = commonName
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
    }
}
