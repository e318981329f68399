public import Foundation
import QuicFlowPKI

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#else
#error("TestCertificateAuthority needs a POSIX C library")
#endif

/// A throwaway certificate authority that lives only in memory, for tests and benchmarks.
///
/// Each instance generates a fresh P-256 key and a self-signed CA certificate, and can then issue
/// leaf certificates for servers and clients. Nothing is persisted unless you ask for it with
/// ``writeFiles(for:in:name:)``, so every test run gets keys nobody else has seen.
///
/// Certificates are built by QuicFlowPKI's `FleetCertificateAuthority`, so tests exercise the
/// same code that makes a real fleet's certificates.
///
/// ```swift
/// let ca = try TestCertificateAuthority()
/// let server = try ca.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"])
/// let directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "quic-test")
/// let files = try ca.writeFiles(for: server, in: directory, name: "server")
/// ```
public final class TestCertificateAuthority: Sendable {
    /// The subject common name of the CA certificate.
    public let commonName: String

    /// The self-signed CA certificate as a `CERTIFICATE` PEM block, for use as a trust anchor.
    public let certificatePEM: String

    private let authority: FleetCertificateAuthority

    /// Creates a new certificate authority with a freshly generated key.
    ///
    /// The CA certificate is valid from one minute ago (to tolerate clock skew between processes)
    /// for 30 days, which outlives any test run.
    ///
    /// - Parameter commonName: The subject common name of the CA certificate.
    /// - Throws: If the certificate cannot be built or serialised.
    public init(commonName: String = "QuicFlow Test CA") throws {
        let authority = try Self.translating { () throws(PKIError) in
            try FleetCertificateAuthority(commonName: commonName, validity: .seconds(30 * 24 * 60 * 60))
        }
        self.commonName = commonName
        self.authority = authority
        self.certificatePEM = authority.certificatePEM
    }

    /// Issues a leaf certificate for a TLS server or client, signed by this authority.
    ///
    /// The certificate carries a fresh P-256 key, `keyUsage` `digitalSignature`,
    /// `extendedKeyUsage` `serverAuth` and `clientAuth` (so one certificate serves either side),
    /// and a subject alternative name with every DNS name and IP address given. It is valid from
    /// one minute ago, to tolerate clock skew, until `validFor` seconds from now.
    ///
    /// - Parameters:
    ///   - commonName: The subject common name.
    ///   - dnsNames: DNS names to put in the subject alternative name extension.
    ///   - ipAddresses: IPv4 or IPv6 address literals, such as `"127.0.0.1"` or `"::1"`, to put in
    ///     the subject alternative name extension.
    ///   - validFor: How long from now the certificate stays valid, in seconds. Must be positive.
    /// - Returns: The certificate and its private key as PEM.
    /// - Throws: ``TestCertificateAuthorityError`` if an IP address literal cannot be parsed or the
    ///   certificate cannot be built.
    public func issue(
        commonName: String,
        dnsNames: [String] = [],
        ipAddresses: [String] = [],
        validFor: TimeInterval = 3600
    ) throws -> IssuedCertificate {
        precondition(validFor > 0, "validFor must be positive, got \(validFor)")
        let leaf = try Self.translating { () throws(PKIError) in
            try authority.issue(
                commonName: commonName, dnsNames: dnsNames, ipAddresses: ipAddresses,
                validity: .seconds(validFor), usages: [.serverAuth, .clientAuth])
        }
        return IssuedCertificate(
            certificatePEM: leaf.certificatePEM,
            privateKeyPEM: leaf.privateKeyPEM,
            commonName: commonName,
            dnsNames: dnsNames,
            ipAddresses: ipAddresses
        )
    }

    /// Writes the CA certificate and an issued certificate with its key into a directory.
    ///
    /// Creates or replaces `ca.pem`, `NAME.pem` and `NAME.key` in `directory`. The key file gets
    /// mode `0600`, which some TLS stacks insist on for private keys.
    ///
    /// - Parameters:
    ///   - cert: The certificate to write, usually from ``issue(commonName:dnsNames:ipAddresses:validFor:)``.
    ///   - directory: An existing directory, for example from ``makeTemporaryDirectory(prefix:)``.
    ///   - name: The base name of the certificate and key files; must not contain `/`.
    /// - Returns: The paths of the written files.
    /// - Throws: ``TestCertificateAuthorityError`` if a file cannot be written.
    @discardableResult
    public func writeFiles(for cert: IssuedCertificate, in directory: String, name: String) throws -> CertificateFiles {
        guard !name.isEmpty, !name.contains("/") else {
            throw TestCertificateAuthorityError("'\(name)' is not a valid file base name")
        }
        let files = CertificateFiles(
            directory: directory,
            caFile: directory + "/ca.pem",
            certificateFile: directory + "/\(name).pem",
            keyFile: directory + "/\(name).key"
        )
        try Self.translating { () throws(PKIError) in
            try AtomicFile.save(self.certificatePEM, to: files.caFile, mode: 0o644, replacing: true)
            try AtomicFile.save(cert.certificatePEM, to: files.certificateFile, mode: 0o644, replacing: true)
            try AtomicFile.save(cert.privateKeyPEM, to: files.keyFile, mode: 0o600, replacing: true)
        }
        return files
    }

    /// Creates a new, uniquely named directory under the system temporary directory.
    ///
    /// The directory is created with mode `0700` and is not removed automatically; delete it with
    /// `FileManager.default.removeItem(atPath:)` when done.
    ///
    /// - Parameter prefix: The start of the directory's name; must not contain `/`.
    /// - Returns: The absolute path of the new directory.
    /// - Throws: ``TestCertificateAuthorityError`` if the directory cannot be created.
    public static func makeTemporaryDirectory(prefix: String) throws -> String {
        guard !prefix.contains("/") else {
            throw TestCertificateAuthorityError("'\(prefix)' is not a valid directory name prefix")
        }
        let template = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix).XXXXXX", isDirectory: false).path
        var buffer = Array(template.utf8CString)
        let path = buffer.withUnsafeMutableBufferPointer { buffer -> String? in
            // mkdtemp rewrites the trailing Xs in place and creates the directory with mode 0700.
            guard let created = mkdtemp(buffer.baseAddress!) else { return nil }
            return String(cString: created)
        }
        guard let path else {
            throw TestCertificateAuthorityError("cannot create a directory from template '\(template)'", errno: errno)
        }
        return path
    }

    /// Runs `body`, reporting QuicFlowPKI's errors as this type's, as callers expect.
    private static func translating<T>(_ body: () throws(PKIError) -> T) throws(TestCertificateAuthorityError) -> T {
        do {
            return try body()
        } catch {
            throw TestCertificateAuthorityError(error.message)
        }
    }
}
