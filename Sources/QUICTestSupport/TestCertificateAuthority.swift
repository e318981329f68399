import Crypto
public import Foundation
import SwiftASN1
import X509

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

    private let privateKey: P256.Signing.PrivateKey
    private let certificate: Certificate
    private let subjectKeyIdentifier: SubjectKeyIdentifier

    /// Creates a new certificate authority with a freshly generated key.
    ///
    /// The CA certificate is valid from one minute ago (to tolerate clock skew between processes)
    /// for 30 days, which outlives any test run.
    ///
    /// - Parameter commonName: The subject common name of the CA certificate.
    /// - Throws: If the certificate cannot be built or serialised.
    public init(commonName: String = "QuicFlow Test CA") throws {
        let key = P256.Signing.PrivateKey()
        let certificateKey = Certificate.PrivateKey(key)
        let name = try DistinguishedName {
            CommonName(commonName)
        }
        let subjectKeyIdentifier = SubjectKeyIdentifier(hash: certificateKey.publicKey)
        let now = Date()

        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: certificateKey.publicKey,
            notValidBefore: now.addingTimeInterval(-60),
            notValidAfter: now.addingTimeInterval(30 * 24 * 60 * 60),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                subjectKeyIdentifier
            },
            issuerPrivateKey: certificateKey
        )

        self.commonName = commonName
        self.privateKey = key
        self.certificate = certificate
        self.subjectKeyIdentifier = subjectKeyIdentifier
        self.certificatePEM = try certificate.serializeAsPEM().pemString
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
    /// - Throws: ``TestCertificateAuthorityError`` if an IP address literal cannot be parsed, or an
    ///   error from swift-certificates if the certificate cannot be built.
    public func issue(
        commonName: String,
        dnsNames: [String] = [],
        ipAddresses: [String] = [],
        validFor: TimeInterval = 3600
    ) throws -> IssuedCertificate {
        precondition(validFor > 0, "validFor must be positive, got \(validFor)")

        var alternativeNames = dnsNames.map { GeneralName.dnsName($0) }
        for literal in ipAddresses {
            guard let bytes = Self.ipAddressBytes(literal) else {
                throw TestCertificateAuthorityError("'\(literal)' is not an IPv4 or IPv6 address literal")
            }
            alternativeNames.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
        }

        let key = P256.Signing.PrivateKey()
        let certificateKey = Certificate.PrivateKey(key)
        let subject = try DistinguishedName {
            CommonName(commonName)
        }
        let now = Date()

        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: certificateKey.publicKey,
            notValidBefore: now.addingTimeInterval(-60),
            notValidAfter: now.addingTimeInterval(validFor),
            issuer: self.certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectKeyIdentifier(hash: certificateKey.publicKey)
                AuthorityKeyIdentifier(keyIdentifier: self.subjectKeyIdentifier.keyIdentifier)
                if !alternativeNames.isEmpty {
                    SubjectAlternativeNames(alternativeNames)
                }
            },
            issuerPrivateKey: Certificate.PrivateKey(self.privateKey)
        )

        return IssuedCertificate(
            certificatePEM: try certificate.serializeAsPEM().pemString,
            privateKeyPEM: key.pemRepresentation,
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
        try Self.writeFile(self.certificatePEM, to: files.caFile, mode: 0o644)
        try Self.writeFile(cert.certificatePEM, to: files.certificateFile, mode: 0o644)
        try Self.writeFile(cert.privateKeyPEM, to: files.keyFile, mode: 0o600)
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

    private static func ipAddressBytes(_ literal: String) -> [UInt8]? {
        // inet_pton writes the address in network byte order, which is exactly the SAN encoding.
        // Raw byte arrays rather than in_addr/in6_addr keep the C struct types out of this module.
        var v4 = [UInt8](repeating: 0, count: 4)
        if inet_pton(AF_INET, literal, &v4) == 1 {
            return v4
        }
        var v6 = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET6, literal, &v6) == 1 {
            return v6
        }
        return nil
    }

    private static func writeFile(_ contents: String, to path: String, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw TestCertificateAuthorityError("cannot open '\(path)' for writing", errno: errno)
        }
        defer { close(fd) }

        // open(2) only applies the mode to files it creates; fix up one left over from an earlier run.
        guard fchmod(fd, mode) == 0 else {
            throw TestCertificateAuthorityError("cannot set the mode of '\(path)'", errno: errno)
        }

        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + written, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw TestCertificateAuthorityError("cannot write '\(path)'", errno: errno)
            }
            written += result
        }
    }
}
