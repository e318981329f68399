import ArgumentParser

/// `quicflowctl certs`: a fleet CA and the certificates it issues.
struct CertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Create a fleet CA with a server certificate, and issue client certificates."
    )
}
