import ArgumentParser
import QuicFlowPKI

/// `quicflowctl certs issue`: a client certificate from the fleet CA.
struct CertsIssueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue a client certificate for one device from the fleet CA.",
        discussion: """
            Reads ca.crt and ca.key from the directory and writes ID.crt and ID.key beside them \
            (the key with mode 0600). The certificate's common name is the client id: the server \
            accepts it for that id only. Refuses to replace an existing ID.crt or ID.key.
            """
    )

    @Option(name: .customLong("client-id"), help: ArgumentHelp("The device's client id (agent.conf [agent] client_id).", valueName: "id"))
    var clientID: String
    @Option(help: ArgumentHelp("Directory made by 'certs init'.", valueName: "dir"))
    var dir: String

    func run() async throws {
        let files = FleetCertificateFiles(directory: CertsOutput.absolute(dir))
        do throws(PKIError) {
            try files.issueClient(clientID)
        } catch {
            CertsOutput.report(error)
            throw ExitCode(1)
        }
        print("""
            Issued a client certificate for '\(clientID)':
              \(files.clientCertificatePath(for: clientID))   certificate (agent.conf [server] cert_file)
              \(files.clientKeyPath(for: clientID))   private key (agent.conf [server] key_file)
            Trust anchor for the agent: \(files.authorityCertificatePath) ([server] ca_file)
            """)
    }
}
