import Foundation
import QUICTestSupport
import QuicFlowPKI
import Testing

@Suite("Fleet certificate files")
struct FleetCertificateFilesTests {
    @Test("createFleet writes the CA and server files with private modes in a new 0700 directory")
    func modes() throws {
        let scratch = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "pki-files")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let files = FleetCertificateFiles(directory: scratch + "/nested/fleet")
        let server = try files.createFleet()
        #expect(server.dnsNames == ["localhost"])
        #expect(server.ipAddresses == ["127.0.0.1", "::1"])
        #expect(try DiskFiles.permissions(files.directory) == 0o700)
        #expect(try DiskFiles.permissions(scratch + "/nested") == 0o700)
        #expect(try DiskFiles.permissions(files.authorityKeyPath) == 0o600)
        #expect(try DiskFiles.permissions(files.serverKeyPath) == 0o600)
        #expect(try DiskFiles.permissions(files.authorityCertificatePath) == 0o644)
        #expect(try DiskFiles.permissions(files.serverCertificatePath) == 0o644)
        // Only the four files: no temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: files.directory).sorted()
            == ["ca.crt", "ca.key", "server.crt", "server.key"])

        let client = try files.issueClient("device-7")
        #expect(try DiskFiles.permissions(files.clientKeyPath(for: "device-7")) == 0o600)
        #expect(try DiskFiles.permissions(files.clientCertificatePath(for: "device-7")) == 0o644)
        let reread = try DiskFiles.certificate(
            files.clientCertificatePath(for: "device-7"), key: files.clientKeyPath(for: "device-7"))
        #expect(reread == client)
        #expect(reread.commonName == "device-7")
    }

    @Test("an existing CA is never overwritten")
    func refusesExistingAuthority() throws {
        let directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "pki-existing")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = FleetCertificateFiles(directory: directory)
        try files.createFleet(authorityName: "First CA")
        let key = try String(contentsOfFile: files.authorityKeyPath, encoding: .utf8)
        let error = #expect(throws: PKIError.self) { try files.createFleet(authorityName: "Second CA") }
        #expect(error?.code == .alreadyExists)
        #expect(error?.message.contains("already holds a fleet CA") == true)
        #expect(error?.message.contains("pick another directory") == true)
        #expect(try String(contentsOfFile: files.authorityKeyPath, encoding: .utf8) == key)
        #expect(try FleetCertificateAuthority.load(directory: directory).commonName == "First CA")
    }

    @Test("a bad argument leaves no files behind")
    func nothingWrittenOnError() throws {
        let scratch = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "pki-bad")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let files = FleetCertificateFiles(directory: scratch + "/fleet")
        #expect(throws: PKIError.self) { try files.createFleet(serverIPAddresses: ["not-an-address"]) }
        #expect(!FileManager.default.fileExists(atPath: files.directory))
    }

    @Test("client ids that are not plain file names are refused", arguments: ["../escape", "a/b", ".hidden", "..", ""])
    func refusesBadFileNames(clientID: String) throws {
        try withFleet("pki-names") { files throws in
            let error = #expect(throws: PKIError.self) { try files.issueClient(clientID) }
            #expect(error?.code == .invalidClientID)
            #expect(error?.message.contains("cannot name its certificate files") == true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: files.directory).count == 4)
        }
    }

    @Test("a client id too long to name its files is refused before anything is written")
    func refusesLongFileNames() throws {
        try withFleet("pki-long") { files throws in
            let longest = String(repeating: "x", count: FleetCertificateFiles.maximumFileNameClientIDLength)
            #expect(try files.issueClient(longest).commonName == longest)
            let error = #expect(throws: PKIError.self) { try files.issueClient(longest + "y") }
            #expect(error?.code == .invalidClientID)
            #expect(error?.message.contains("is 252 bytes; to name its certificate files it may have at most 251") == true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: files.directory).count == 6)
        }
    }

    @Test("issuing twice for one client is refused; the first key stays")
    func refusesExistingClient() throws {
        try withFleet("pki-twice") { files throws in
            let first = try files.issueClient("device-7")
            let error = #expect(throws: PKIError.self) { try files.issueClient("device-7") }
            #expect(error?.code == .alreadyExists)
            #expect(error?.message.contains("delete its .crt and .key") == true)
            #expect(try String(contentsOfFile: files.clientKeyPath(for: "device-7"), encoding: .utf8) == first.privateKeyPEM)
        }
    }

    @Test("a directory without a CA is reported as such")
    func missingAuthority() throws {
        let directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "pki-empty")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let error = #expect(throws: PKIError.self) { try FleetCertificateAuthority.load(directory: directory) }
        #expect(error?.code == .missingFile)
        #expect(error?.message.contains("ca.crt' does not exist") == true)
        #expect(error?.message.contains("certs init") == true)
    }

    @Test("a CA certificate paired with the wrong key on disk is refused")
    func mismatchedFiles() throws {
        try withFleet("pki-mismatch") { files throws in
            try AtomicFile.save(
                try FleetCertificateAuthority().privateKeyPEM, to: files.authorityKeyPath, mode: 0o600, replacing: true)
            let error = #expect(throws: PKIError.self) { try files.issueClient("device-7") }
            #expect(error?.code == .keyMismatch)
            #expect(!FileManager.default.fileExists(atPath: files.clientKeyPath(for: "device-7")))
        }
    }

    @Test("TestCertificateAuthority still writes ca.pem, NAME.pem and a 0600 NAME.key, replacing old files")
    func testAuthorityFiles() throws {
        let directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "pki-test-ca")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try DiskFiles.permissions(directory) == 0o700)
        let authority = try TestCertificateAuthority()
        let leaf = try authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        try authority.writeFiles(for: leaf, in: directory, name: "server")
        let files = try authority.writeFiles(for: leaf, in: directory, name: "server")
        #expect(try DiskFiles.permissions(files.keyFile) == 0o600)
        #expect(try String(contentsOfFile: files.caFile, encoding: .utf8) == authority.certificatePEM)
        let parsed = try DiskFiles.certificate(files.certificateFile, key: files.keyFile)
        #expect(parsed.usages == [.serverAuth, .clientAuth])
        #expect(parsed.ipAddresses == ["127.0.0.1"])
        #expect(throws: TestCertificateAuthorityError.self) { try authority.issue(commonName: "x", ipAddresses: ["nope"]) }
    }

    /// Runs `body` with a fleet (CA and server files) in a new directory,
    /// removed afterwards.
    private func withFleet(_ prefix: String, _ body: (FleetCertificateFiles) throws -> Void) throws {
        let directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: prefix)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = FleetCertificateFiles(directory: directory)
        try files.createFleet()
        try body(files)
    }
}
