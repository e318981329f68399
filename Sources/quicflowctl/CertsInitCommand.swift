import ArgumentParser
import QuicFlowPKI

/// `quicflowctl certs init`: a new fleet CA and the server's certificate.
struct CertsInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a fleet CA and a server certificate in a new directory.",
        discussion: """
            Writes ca.crt, ca.key, server.crt and server.key into the directory (created with mode \
            0700; keys get mode 0600). Refuses a directory that already holds a CA. Without --dns \
            and --ip the server certificate is for localhost, 127.0.0.1 and ::1.
            """
    )

    @Option(help: ArgumentHelp("Directory for the CA and server files.", valueName: "dir"))
    var dir: String
    @Option(help: ArgumentHelp("A DNS name of the server (repeatable).", valueName: "name"))
    var dns: [String] = []
    @Option(help: ArgumentHelp("An IP address of the server (repeatable).", valueName: "address"))
    var ip: [String] = []
    @Option(help: ArgumentHelp("Common name of the CA certificate.", valueName: "name"))
    var caName = "QuicFlow Fleet CA"

    func run() async throws {
        let files = FleetCertificateFiles(directory: CertsOutput.absolute(dir))
        let server: FleetCertificate
        do throws(PKIError) {
            server = try files.createFleet(authorityName: caName, serverDNSNames: dns, serverIPAddresses: ip)
        } catch {
            CertsOutput.report(error)
            throw ExitCode(1)
        }
        let names = (server.dnsNames + server.ipAddresses).joined(separator: ", ")
        let device = files.clientCertificatePath(for: "DEVICE")
        print("""
            Created a fleet CA in \(files.directory):
              \(files.authorityCertificatePath)   CA certificate: the server and every agent trust it
              \(files.authorityKeyPath)   CA private key: signs new certificates; keep it off servers and devices
              \(files.serverCertificatePath)   server certificate for \(names)
              \(files.serverKeyPath)   server private key

            Next steps:
              1. Run the server with mutual TLS:
                   quicflow-server serve --cert \(files.serverCertificatePath) --key \(files.serverKeyPath) \\
                     --client-ca \(files.authorityCertificatePath) --require-client-cert
              2. Issue a certificate for each device (its client id becomes the certificate's name):
                   quicflowctl certs issue --dir \(files.directory) --client-id DEVICE
              3. Copy ca.crt, DEVICE.crt and DEVICE.key to the device and point its agent.conf at the
                 copies (the paths below are for an agent on this machine):
                   [agent]
                   client_id = "DEVICE"
                   [server]
                   ca_file = "\(files.authorityCertificatePath)"
                   cert_file = "\(device)"
                   key_file = "\(files.clientKeyPath(for: "DEVICE"))"
                 The server accepts a device only under the client id its certificate names.
            """)
    }
}
