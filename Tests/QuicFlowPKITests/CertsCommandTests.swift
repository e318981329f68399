import Foundation
import QUICTestSupport
import QuicFlowPKI
import Testing

/// `quicflowctl certs` run as the real executable.
@Suite("quicflowctl certs")
struct CertsCommandTests {
    @Test("certs init writes the CA and server files and prints the next steps")
    func initialize() async throws {
        let scratch = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "ctl-init")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let fleet = scratch + "/fleet"
        let run = try await quicflowctl.run(["certs", "init", "--dir", fleet])
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.isEmpty, "\(run)")
        let files = FleetCertificateFiles(directory: fleet)
        for path in [files.authorityCertificatePath, files.authorityKeyPath, files.serverCertificatePath, files.serverKeyPath] {
            #expect(FileManager.default.fileExists(atPath: path), "\(path) missing")
            #expect(run.stdout.contains(path), "\(path) not printed:\n\(run)")
        }
        #expect(try DiskFiles.permissions(fleet) == 0o700)
        #expect(try DiskFiles.permissions(files.authorityKeyPath) == 0o600)
        #expect(try DiskFiles.permissions(files.serverKeyPath) == 0o600)
        #expect(run.stdout.contains(
            "--cert \(files.serverCertificatePath) --key \(files.serverKeyPath) \\\n"))
        #expect(run.stdout.contains("--client-ca \(files.authorityCertificatePath) --require-client-cert"))
        #expect(run.stdout.contains("quicflowctl certs issue --dir \(fleet) --client-id DEVICE"))
        #expect(run.stdout.contains("ca_file = \"\(files.authorityCertificatePath)\""))
        #expect(run.stdout.contains("cert_file = \"\(fleet)/DEVICE.crt\""))
        #expect(run.stdout.contains("key_file = \"\(fleet)/DEVICE.key\""))
        let server = try DiskFiles.certificate(files.serverCertificatePath, key: files.serverKeyPath)
        #expect(server.dnsNames == ["localhost"])
        #expect(server.ipAddresses == ["127.0.0.1", "::1"])
        #expect(try FleetCertificateAuthority.load(directory: fleet).commonName == "QuicFlow Fleet CA")
    }

    @Test("certs init takes the server's names and the CA's name")
    func initializeWithNames() async throws {
        let scratch = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "ctl-names")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let run = try await quicflowctl.run(
            ["certs", "init", "--dir", scratch + "/fleet", "--dns", "backbone.example.com", "--dns", "backbone",
             "--ip", "10.0.0.5", "--ip", "fd00::5", "--ca-name", "Acme Devices CA"])
        #expect(run.status == 0, "\(run)")
        let files = FleetCertificateFiles(directory: scratch + "/fleet")
        let server = try DiskFiles.certificate(files.serverCertificatePath, key: files.serverKeyPath)
        #expect(server.commonName == "backbone.example.com")
        #expect(server.dnsNames == ["backbone.example.com", "backbone"])
        #expect(server.ipAddresses == ["10.0.0.5", "fd00::5"])
        #expect(try FleetCertificateAuthority.load(directory: files.directory).commonName == "Acme Devices CA")
    }

    @Test("certs init refuses a directory that already holds a CA, with exit status 1")
    func initializeTwice() async throws {
        let scratch = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "ctl-twice")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let fleet = scratch + "/fleet"
        #expect(try await quicflowctl.run(["certs", "init", "--dir", fleet]).status == 0)
        let key = try String(contentsOfFile: fleet + "/ca.key", encoding: .utf8)
        let again = try await quicflowctl.run(["certs", "init", "--dir", fleet])
        #expect(again.status == 1, "\(again)")
        #expect(again.stdout.isEmpty)
        #expect(again.stderr.hasPrefix("quicflowctl: '\(fleet)' already holds a fleet CA"), "\(again)")
        #expect(again.stderr.contains("pick another directory"))
        #expect(try String(contentsOfFile: fleet + "/ca.key", encoding: .utf8) == key)
    }

    @Test("certs init refuses an IP address that is not a literal and writes nothing")
    func initializeBadAddress() async throws {
        let scratch = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "ctl-bad-ip")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let run = try await quicflowctl.run(
            ["certs", "init", "--dir", scratch + "/fleet", "--ip", "backbone.local"])
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr == "quicflowctl: 'backbone.local' is not an IPv4 or IPv6 address literal (such as 192.0.2.7 or 2001:db8::7); give host names as DNS names\n")
        #expect(!FileManager.default.fileExists(atPath: scratch + "/fleet"))
    }

    @Test("certs issue writes ID.crt and ID.key; its errors exit 1 and bad usage 64")
    func issue() async throws {
        let scratch = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "ctl-issue")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let fleet = scratch + "/fleet"
        let files = FleetCertificateFiles(directory: fleet)
        let noCA = try await quicflowctl.run(["certs", "issue", "--client-id", "device-7", "--dir", fleet])
        #expect(noCA.status == 1, "\(noCA)")
        #expect(noCA.stderr.hasPrefix("quicflowctl: the CA certificate '\(files.authorityCertificatePath)' does not exist"), "\(noCA)")

        #expect(try await quicflowctl.run(["certs", "init", "--dir", fleet]).status == 0)
        let run = try await quicflowctl.run(["certs", "issue", "--client-id", "device-7", "--dir", fleet])
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains(files.clientCertificatePath(for: "device-7")))
        #expect(run.stdout.contains(files.clientKeyPath(for: "device-7")))
        #expect(try DiskFiles.permissions(files.clientKeyPath(for: "device-7")) == 0o600)
        let client = try DiskFiles.certificate(
            files.clientCertificatePath(for: "device-7"), key: files.clientKeyPath(for: "device-7"))
        #expect(client.commonName == "device-7")
        #expect(client.usages == .clientAuth)

        let again = try await quicflowctl.run(["certs", "issue", "--client-id", "device-7", "--dir", fleet])
        #expect(again.status == 1, "\(again)")
        #expect(again.stderr.contains("already has"), "\(again)")
        let escape = try await quicflowctl.run(["certs", "issue", "--client-id", "../x", "--dir", fleet])
        #expect(escape.status == 1, "\(escape)")
        #expect(escape.stderr.contains("cannot name its certificate files"), "\(escape)")
        let usage = try await quicflowctl.run(["certs", "issue", "--dir", fleet])
        #expect(usage.status == 64, "\(usage)")
        #expect(usage.stderr.contains("--client-id"), "\(usage)")
    }
}
