/// A certificate issued by a ``FleetCertificateAuthority``, with its key.
///
/// Holds PEM text only, so it can be stored, compared and sent between
/// tasks freely; ``FleetCertificateFiles`` puts it on disk.
public struct FleetCertificate: Sendable, Hashable {
    /// The certificate, one `CERTIFICATE` PEM block.
    public let certificatePEM: String

    /// Its P-256 private key as an unencrypted PKCS#8 `PRIVATE KEY` PEM block,
    /// the form GnuTLS, OpenSSL and Python's `cryptography` all read.
    public let privateKeyPEM: String

    /// The subject common name; for a client certificate, the client id the
    /// server binds the session to.
    public let commonName: String

    /// DNS names in the subject alternative name extension.
    public let dnsNames: [String]

    /// IP addresses in the subject alternative name extension, as text.
    public let ipAddresses: [String]

    /// What the certificate may authenticate: a server, a client, or both.
    public let usages: FleetCertificateUsage

    init(
        certificatePEM: String, privateKeyPEM: String, commonName: String, dnsNames: [String],
        ipAddresses: [String], usages: FleetCertificateUsage
    ) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        self.commonName = commonName
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.usages = usages
    }

    /// Reads a certificate and its key back from PEM, for example from the
    /// files ``FleetCertificateFiles`` wrote.
    ///
    /// - Parameters:
    ///   - certificatePEM: One `CERTIFICATE` PEM block.
    ///   - privateKeyPEM: The matching P-256 key, PKCS#8 or SEC1 PEM.
    /// - Throws: ``PKIError`` with code `invalidPEM` if either text cannot be
    ///   parsed or the certificate has no common name, `keyMismatch` if the
    ///   key is not the certificate's.
    public init(certificatePEM: String, privateKeyPEM: String) throws(PKIError) {
        let pair = try CertificateKeyPair(
            certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM, what: "the certificate")
        guard let commonName = pair.certificate.subjectCommonName else {
            throw PKIError(.invalidPEM, "the certificate's subject has no common name")
        }
        let names = try pair.certificate.alternativeNames()
        self.init(
            certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM, commonName: commonName,
            dnsNames: names.dnsNames, ipAddresses: names.ipAddresses, usages: try pair.certificate.fleetUsages())
    }
}
