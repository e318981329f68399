/// The paths of the PEM files written by ``TestCertificateAuthority/writeFiles(for:in:name:)``.
public struct CertificateFiles: Sendable, Hashable {
    /// The directory that holds the files.
    public let directory: String

    /// The path of the certificate authority's certificate (`ca.pem`), for use as a trust anchor.
    public let caFile: String

    /// The path of the leaf certificate (`NAME.pem`).
    public let certificateFile: String

    /// The path of the leaf's PKCS#8 private key (`NAME.key`), readable only by its owner.
    public let keyFile: String

    /// Creates a set of certificate file paths.
    ///
    /// - Parameters:
    ///   - directory: The directory that holds the files.
    ///   - caFile: The path of the CA certificate.
    ///   - certificateFile: The path of the leaf certificate.
    ///   - keyFile: The path of the leaf's private key.
    public init(directory: String, caFile: String, certificateFile: String, keyFile: String) {
        self.directory = directory
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}
