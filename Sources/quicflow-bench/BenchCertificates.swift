import QUICTestSupport

/// A throwaway CA and a `localhost` / 127.0.0.1 server certificate in a new
/// temporary directory, for every workload.
enum BenchCertificates {
    /// The written files; the caller removes `files.directory`.
    static func make(prefix: String) throws -> CertificateFiles {
        let directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: prefix)
        let authority = try TestCertificateAuthority()
        return try authority.writeFiles(
            for: try authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"]),
            in: directory, name: "server")
    }
}
