import Foundation
import QuicFlowPKI

/// A throwaway fleet CA and a `localhost` / 127.0.0.1 server certificate in a
/// new temporary directory, for every workload. Made with QuicFlowPKI, as an
/// operator's `quicflowctl certs init` would (the bench ships, so it does
/// not use the test-only QUICTestSupport).
struct BenchCertificates: Sendable {
    /// The directory that holds the files; the caller removes it.
    let directory: String
    /// The CA certificate, the clients' trust anchor.
    let caFile: String
    /// The server's certificate.
    let certificateFile: String
    /// The server's private key.
    let keyFile: String

    static func make(prefix: String) throws -> BenchCertificates {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        let files = FleetCertificateFiles(directory: directory)
        try files.createFleet(serverDNSNames: ["localhost"], serverIPAddresses: ["127.0.0.1"])
        return BenchCertificates(
            directory: directory, caFile: files.authorityCertificatePath, certificateFile: files.serverCertificatePath,
            keyFile: files.serverKeyPath)
    }
}
