/// TLS 1.3 settings for a QUIC endpoint.
///
/// Certificate verification is on by default; turning it off takes the
/// explicit ``insecureSkipVerify``.
public struct QUICTLSConfiguration: Sendable, Hashable {
    /// Where a client finds the certificates it trusts.
    public enum TrustRoots: Sendable, Hashable {
        /// The operating system's store (Debian: `/etc/ssl/certs`).
        case system
        /// The CA certificates in a PEM file.
        case file(String)
    }

    /// PEM certificate chain (leaf first). Required for a server; for a
    /// client it is the mTLS certificate.
    public var certificateChainFile: String?
    /// PEM private key of ``certificateChainFile``.
    public var privateKeyFile: String?
    /// Client: the CAs that may sign the server's certificate. Server: the
    /// CAs that may sign client certificates (mTLS).
    public var trustRoots: TrustRoots?
    /// Client only: accept any server certificate. For development only.
    public var insecureSkipVerify: Bool = false
    /// Server only: refuse clients without a certificate signed by
    /// ``trustRoots``.
    public var requireClientCertificate: Bool = false
    /// ALPN protocols, most preferred first. A peer with none in common is
    /// refused during the handshake.
    public var applicationProtocols: [String]

    /// Server settings from PEM files.
    public static func server(
        certificateChainFile: String,
        privateKeyFile: String,
        applicationProtocols: [String]
    ) -> QUICTLSConfiguration {
        var configuration = QUICTLSConfiguration(applicationProtocols: applicationProtocols)
        configuration.certificateChainFile = certificateChainFile
        configuration.privateKeyFile = privateKeyFile
        return configuration
    }

    /// Client settings trusting `trustRoots` (the system store by default).
    public static func client(
        trustRoots: TrustRoots = .system,
        applicationProtocols: [String]
    ) -> QUICTLSConfiguration {
        var configuration = QUICTLSConfiguration(applicationProtocols: applicationProtocols)
        configuration.trustRoots = trustRoots
        return configuration
    }

    /// Creates a configuration with only ALPN set.
    public init(applicationProtocols: [String]) {
        self.applicationProtocols = applicationProtocols
    }
}

extension QUICTLSConfiguration {
    /// Loads the files as an endpoint would, then lets them go: the checks
    /// of a `check-config` (the PEM files parse, the key matches its
    /// certificate, the CA file holds a certificate) with the same loader
    /// and the same messages as the endpoint itself.
    /// - Parameter server: check as a server's settings (a server needs a
    ///   certificate) rather than a client's.
    /// - Throws: ``QUICError`` (`invalidConfiguration`, `tlsConfiguration`)
    ///   naming the file and what is wrong with it.
    public func check(asServer server: Bool) throws(QUICError) {
        _ = try TLSContext(self, isServer: server)
    }
}
