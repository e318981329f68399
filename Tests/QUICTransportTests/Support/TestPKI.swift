import QUICTestSupport
import QUICTransport

/// Certificates made fresh for each test: a CA, a server certificate for
/// localhost / 127.0.0.1 / ::1, a client certificate for mTLS, and a second,
/// unrelated CA with its own certificates for the refusal tests.
struct TestPKI: Sendable {
    static let alpn = "quic-backbone-v1"

    let directory: String
    let server: CertificateFiles
    let client: CertificateFiles
    let otherCA: String
    let otherServer: CertificateFiles
    let otherClient: CertificateFiles

    init(clientID: String = "device-7") throws {
        directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "quictransport-tests")
        let authority = try TestCertificateAuthority()
        server = try authority.writeFiles(
            for: try authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"]),
            in: directory, name: "server")
        client = try authority.writeFiles(
            for: try authority.issue(commonName: clientID, dnsNames: ["\(clientID).devices.test"]),
            in: directory, name: "client")

        let otherDirectory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "quictransport-other")
        let other = try TestCertificateAuthority(commonName: "Some Other CA")
        otherServer = try other.writeFiles(
            for: try other.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"]),
            in: otherDirectory, name: "server")
        otherClient = try other.writeFiles(for: try other.issue(commonName: clientID), in: otherDirectory, name: "client")
        otherCA = otherServer.caFile
    }

    func serverConfiguration(
        settings: QUICSettings = QUICSettings(), requireClientCertificate: Bool = false,
        files: CertificateFiles? = nil
    ) -> QUICEndpointConfiguration {
        let files = files ?? server
        var tls = QUICTLSConfiguration.server(
            certificateChainFile: files.certificateFile, privateKeyFile: files.keyFile,
            applicationProtocols: [Self.alpn])
        if requireClientCertificate {
            tls.trustRoots = .file(files.caFile)
            tls.requireClientCertificate = true
        }
        return QUICEndpointConfiguration(tls: tls, settings: settings)
    }

    func clientConfiguration(
        settings: QUICSettings = QUICSettings(), trusting caFile: String? = nil, alpn: [String] = [alpn],
        certificate: CertificateFiles? = nil, insecure: Bool = false
    ) -> QUICEndpointConfiguration {
        var tls = QUICTLSConfiguration.client(trustRoots: .file(caFile ?? server.caFile), applicationProtocols: alpn)
        tls.insecureSkipVerify = insecure
        if let certificate {
            tls.certificateChainFile = certificate.certificateFile
            tls.privateKeyFile = certificate.keyFile
        }
        return QUICEndpointConfiguration(tls: tls, settings: settings)
    }
}
