import Foundation
import Logging
import QUICTestSupport
import QuicFlow
import QuicFlowPKI
import Testing

/// Files made by the real `quicflowctl certs` carry a real mutual-TLS session.
@Suite("Fleet certificates in a QuicFlow session")
struct CertsSessionTests {
    @Test("a device registers with its issued certificate; another id or another CA's certificate is refused")
    func mutualTLS() async throws {
        let scratch = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "pki-mtls")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let fleet = FleetCertificateFiles(directory: scratch + "/fleet")
        let stranger = FleetCertificateFiles(directory: scratch + "/stranger")
        for files in [fleet, stranger] {
            for arguments in [["init"], ["issue", "--client-id", "device-7"]] {
                let run = try await quicflowctl.run(["certs"] + arguments + ["--dir", files.directory])
                #expect(run.status == 0, "\(run)")
            }
        }

        let server = BackboneServer(
            configuration: try ServerConfiguration(
                host: "127.0.0.1", port: TestPorts.restartable(), certificateFile: fleet.serverCertificatePath,
                keyFile: fleet.serverKeyPath, clientCAFile: fleet.authorityCertificatePath,
                requireClientCertificate: true),
            logger: Self.quiet)
        try await server.start()
        do {
            try await exercise(server, fleet: fleet, stranger: stranger)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    private func exercise(_ server: BackboneServer, fleet: FleetCertificateFiles, stranger: FleetCertificateFiles) async throws {
        let port = server.configuration.port
        let device = BackboneClient(
            configuration: try client("device-7", files: fleet, certificateOf: "device-7"), logger: Self.quiet)
        try await device.connect(host: "127.0.0.1", port: port, serverName: "localhost")
        // Nothing from here to disconnect() throws, so the client is always closed.
        #expect(await server.clients().map(\.clientID) == ["device-7"])
        #expect(await server.clientInfo("device-7") != nil)

        // device-7's certificate does not make its holder device-8: close code 5.
        let impostor = await #expect(throws: QuicFlowError.self) {
            try await connectAndLeave(try client("device-8", files: fleet, certificateOf: "device-7"), port: port)
        }
        #expect(impostor?.message.contains("code 5") == true, "\(String(describing: impostor))")

        // A certificate for the right id from another CA fails the TLS handshake.
        await #expect(throws: (any Error).self) {
            try await connectAndLeave(
                try client("device-7", files: fleet, certificateOf: "device-7", signedBy: stranger), port: port)
        }
        #expect(await server.clients().map(\.clientID) == ["device-7"])
        await device.disconnect()
        try await eventually("device-7 to leave the server") { await server.clients().isEmpty }
    }

    /// A configuration that trusts `files`' CA and presents the certificate
    /// issued to `certificateOf` by `signer` (by default `files` too).
    private func client(
        _ clientID: String, files: FleetCertificateFiles, certificateOf holder: String,
        signedBy signer: FleetCertificateFiles? = nil
    ) throws -> ClientConfiguration {
        let issuer = signer ?? files
        return try ClientConfiguration(
            clientID: clientID, caFile: files.authorityCertificatePath,
            certificateFile: issuer.clientCertificatePath(for: holder), keyFile: issuer.clientKeyPath(for: holder),
            reconnectEnabled: false)
    }

    /// Connects, and disconnects again if that unexpectedly worked, so no
    /// client outlives the test.
    private func connectAndLeave(_ configuration: ClientConfiguration, port: Int) async throws {
        let client = BackboneClient(configuration: configuration, logger: Self.quiet)
        try await client.connect(host: "127.0.0.1", port: port, serverName: "localhost")
        await client.disconnect()
    }

    private static let quiet = Logger(label: "quicflow.pki-tests") { _ in SwiftLogNoOpLogHandler() }
}
