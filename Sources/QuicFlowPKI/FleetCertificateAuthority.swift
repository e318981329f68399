import Crypto
import Foundation
import SwiftASN1
import X509

/// The certificate authority of a fleet: it signs the server's certificate
/// and one client certificate per device, for mutual TLS.
///
/// Keys are P-256 and signatures ECDSA with SHA-256. A client certificate's
/// subject common name is the device's client id: the QuicFlow server only
/// lets a session register under the id its certificate names.
///
/// ```swift
/// let ca = try FleetCertificateAuthority(commonName: "Acme Fleet CA")
/// let server = try ca.issueServer(commonName: "backbone.example.com", dnsNames: ["backbone.example.com"])
/// let device = try ca.issueClient(clientID: "device-7")
/// ```
public final class FleetCertificateAuthority: Sendable {
    /// How long a new CA is valid: ten years, since replacing it means
    /// reissuing every certificate in the fleet.
    public static let defaultValidity: Duration = .seconds(3_652 * 86_400)

    /// How long a server certificate is valid: 825 days, the longest that
    /// common TLS clients have accepted for a leaf certificate.
    public static let defaultServerValidity: Duration = .seconds(825 * 86_400)

    /// How long a client certificate is valid: 825 days, as for servers.
    public static let defaultClientValidity: Duration = .seconds(825 * 86_400)

    /// The longest client id in bytes, as the QuicFlow wire protocol allows.
    public static let maximumClientIDLength = 256

    /// How far back certificates start, so that a peer whose clock is a
    /// little behind still accepts one issued a moment ago.
    static let clockSkewAllowance: TimeInterval = 60

    /// The subject common name of the CA certificate.
    public let commonName: String

    /// The CA certificate as a `CERTIFICATE` PEM block: the trust anchor for
    /// the server (`--client-ca`) and for every agent (`ca_file`).
    public let certificatePEM: String

    /// The CA's private key as a PKCS#8 `PRIVATE KEY` PEM block. Whoever has
    /// it can issue certificates the fleet trusts: keep it off the devices.
    public let privateKeyPEM: String

    private let certificate: Certificate
    private let key: P256.Signing.PrivateKey
    private let keyIdentifier: ArraySlice<UInt8>

    /// Creates a new CA: a fresh key and a self-signed certificate.
    ///
    /// The certificate is valid from a minute ago (clock skew) for
    /// `validity`. It may sign end-entity certificates only (path length 0).
    ///
    /// - Parameters:
    ///   - commonName: The subject common name of the CA certificate.
    ///   - validity: How long the CA is valid; positive.
    /// - Throws: ``PKIError`` with code `invalidArgument` for an empty name or
    ///   a validity that is not positive.
    public init(commonName: String = "QuicFlow Fleet CA", validity: Duration = defaultValidity) throws(PKIError) {
        guard !commonName.isEmpty else {
            throw PKIError(.invalidArgument, "the CA's common name must not be empty")
        }
        let lifetime = try Self.seconds(validity, of: "the CA")
        let key = P256.Signing.PrivateKey()
        let certificateKey = Certificate.PrivateKey(key)
        let identifier = SubjectKeyIdentifier(hash: certificateKey.publicKey)
        let now = Date()
        do {
            let name = try DistinguishedName { CommonName(commonName) }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: certificateKey.publicKey,
                notValidBefore: now - Self.clockSkewAllowance,
                notValidAfter: now + lifetime,
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    identifier
                },
                issuerPrivateKey: certificateKey)
            self.certificatePEM = try certificate.serializeAsPEM().pemString
            self.certificate = certificate
        } catch {
            throw PKIError(.certificateBuilding, "cannot build the CA certificate for '\(commonName)': \(error)")
        }
        self.commonName = commonName
        self.key = key
        self.privateKeyPEM = key.pemRepresentation
        self.keyIdentifier = identifier.keyIdentifier
    }

    /// Loads an existing CA from its certificate and private key.
    ///
    /// - Parameters:
    ///   - certificatePEM: The CA certificate, one `CERTIFICATE` PEM block.
    ///   - privateKeyPEM: Its P-256 private key, PKCS#8 or SEC1 PEM.
    /// - Throws: ``PKIError`` with code `invalidPEM` if either cannot be
    ///   parsed, `keyMismatch` if the key is not the certificate's, and
    ///   `notAuthority` if the certificate may not sign certificates.
    public init(certificatePEM: String, privateKeyPEM: String) throws(PKIError) {
        let pair = try CertificateKeyPair(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM, what: "the CA")
        guard try pair.certificate.isCertificateAuthority() else {
            throw PKIError(
                .notAuthority,
                "the certificate for '\(pair.certificate.subject)' is not a CA certificate (its basic constraints or key usage forbid signing certificates); give the CA's own certificate")
        }
        let identifier: SubjectKeyIdentifier
        do {
            identifier = try pair.certificate.extensions.subjectKeyIdentifier
                ?? SubjectKeyIdentifier(hash: pair.certificate.publicKey)
        } catch {
            throw PKIError(.invalidPEM, "the CA certificate's subject key identifier cannot be decoded: \(error)")
        }
        self.commonName = pair.certificate.subjectCommonName ?? ""
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        self.certificate = pair.certificate
        self.key = pair.key
        self.keyIdentifier = identifier.keyIdentifier
    }

    /// Loads the CA kept in `directory` as `ca.crt` and `ca.key`, the files
    /// ``FleetCertificateFiles/createFleet(authorityName:serverDNSNames:serverIPAddresses:)`` writes.
    ///
    /// - Parameter directory: The fleet's certificate directory.
    /// - Throws: ``PKIError`` with code `missingFile` if a file is missing,
    ///   and the errors of ``init(certificatePEM:privateKeyPEM:)``.
    public static func load(directory: String) throws(PKIError) -> FleetCertificateAuthority {
        try FleetCertificateFiles(directory: directory).loadAuthority()
    }

    /// Issues a TLS server certificate (extended key usage `serverAuth`).
    ///
    /// - Parameters:
    ///   - commonName: The subject common name, usually the server's main host name.
    ///   - dnsNames: Host names clients use to reach the server.
    ///   - ipAddresses: IPv4 or IPv6 literals clients use to reach the server.
    ///   - validity: How long the certificate is valid; positive.
    /// - Throws: ``PKIError`` with code `invalidArgument` if there is neither
    ///   a DNS name nor an IP address (clients check the server's name
    ///   against these only), or as ``issue(commonName:dnsNames:ipAddresses:validity:usages:)``.
    public func issueServer(
        commonName: String,
        dnsNames: [String] = [],
        ipAddresses: [String] = [],
        validity: Duration = defaultServerValidity
    ) throws(PKIError) -> FleetCertificate {
        guard !dnsNames.isEmpty || !ipAddresses.isEmpty else {
            throw PKIError(
                .invalidArgument,
                "a server certificate needs at least one DNS name or IP address, the names clients connect to")
        }
        return try issue(
            commonName: commonName, dnsNames: dnsNames, ipAddresses: ipAddresses, validity: validity,
            usages: .serverAuth)
    }

    /// Issues a client certificate for mutual TLS (extended key usage
    /// `clientAuth`) whose subject common name is `clientID`.
    ///
    /// - Parameters:
    ///   - clientID: The device's client id, 1 to 256 bytes of UTF-8; the
    ///     server accepts this certificate for this id only.
    ///   - validity: How long the certificate is valid; positive.
    /// - Throws: ``PKIError`` with code `invalidClientID` for an empty or
    ///   too long id, or as ``issue(commonName:dnsNames:ipAddresses:validity:usages:)``.
    public func issueClient(clientID: String, validity: Duration = defaultClientValidity) throws(PKIError) -> FleetCertificate {
        guard !clientID.isEmpty, clientID.utf8.count <= Self.maximumClientIDLength else {
            throw PKIError(
                .invalidClientID,
                "a client id must be 1 to \(Self.maximumClientIDLength) bytes, got \(clientID.utf8.count)")
        }
        return try issue(commonName: clientID, validity: validity, usages: .clientAuth)
    }

    /// Issues a leaf certificate with a fresh P-256 key.
    ///
    /// The certificate is valid from a minute ago (clock skew) for
    /// `validity`, may not sign certificates, has key usage
    /// `digitalSignature` and the extended key usages in `usages`, and names
    /// every DNS name and IP address in its subject alternative names.
    ///
    /// - Parameters:
    ///   - commonName: The subject common name.
    ///   - dnsNames: DNS names for the subject alternative names.
    ///   - ipAddresses: IPv4 or IPv6 literals (`"10.0.0.5"`, `"::1"`) for
    ///     the subject alternative names.
    ///   - validity: How long the certificate is valid; positive.
    ///   - usages: What the certificate may authenticate.
    /// - Throws: ``PKIError`` with code `invalidArgument` for an empty common
    ///   name or DNS name, a bad IP literal or a validity that is not positive;
    ///   `expired` if the CA certificate has expired.
    public func issue(
        commonName: String,
        dnsNames: [String] = [],
        ipAddresses: [String] = [],
        validity: Duration,
        usages: FleetCertificateUsage
    ) throws(PKIError) -> FleetCertificate {
        guard !commonName.isEmpty else {
            throw PKIError(.invalidArgument, "a certificate's common name must not be empty")
        }
        let lifetime = try Self.seconds(validity, of: "'\(commonName)'")
        var alternativeNames: [GeneralName] = []
        for name in dnsNames {
            guard !name.isEmpty else {
                throw PKIError(.invalidArgument, "a DNS name for '\(commonName)' is empty")
            }
            alternativeNames.append(.dnsName(name))
        }
        for literal in ipAddresses {
            guard let bytes = IPAddressLiteral.bytes(literal) else {
                throw PKIError(
                    .invalidArgument,
                    "'\(literal)' is not an IPv4 or IPv6 address literal (such as 192.0.2.7 or 2001:db8::7); give host names as DNS names")
            }
            alternativeNames.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
        }
        var purposes: [ExtendedKeyUsage.Usage] = []
        if usages.contains(.serverAuth) { purposes.append(.serverAuth) }
        if usages.contains(.clientAuth) { purposes.append(.clientAuth) }

        let now = Date()
        guard now < certificate.notValidAfter else {
            throw PKIError(
                .expired,
                "the CA certificate expired on \(certificate.notValidAfter); certificates it signs would be refused, so create a new CA")
        }
        let leafKey = P256.Signing.PrivateKey()
        let publicKey = Certificate.PrivateKey(leafKey).publicKey
        let certificatePEM: String
        do {
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now - Self.clockSkewAllowance,
                notValidAfter: now + lifetime,
                issuer: self.certificate.subject,
                subject: try DistinguishedName { CommonName(commonName) },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    if !purposes.isEmpty {
                        try ExtendedKeyUsage(purposes)
                    }
                    SubjectKeyIdentifier(hash: publicKey)
                    AuthorityKeyIdentifier(keyIdentifier: keyIdentifier)
                    if !alternativeNames.isEmpty {
                        SubjectAlternativeNames(alternativeNames)
                    }
                },
                issuerPrivateKey: Certificate.PrivateKey(key))
            certificatePEM = try certificate.serializeAsPEM().pemString
        } catch {
            throw PKIError(.certificateBuilding, "cannot build the certificate for '\(commonName)': \(error)")
        }
        return FleetCertificate(
            certificatePEM: certificatePEM, privateKeyPEM: leafKey.pemRepresentation, commonName: commonName,
            dnsNames: dnsNames, ipAddresses: ipAddresses, usages: usages)
    }

    private static func seconds(_ validity: Duration, of subject: String) throws(PKIError) -> TimeInterval {
        let (seconds, attoseconds) = validity.components
        let interval = Double(seconds) + Double(attoseconds) * 1e-18
        guard interval > 0 else {
            throw PKIError(.invalidArgument, "the validity of \(subject) must be positive, got \(validity)")
        }
        return interval
    }
}
