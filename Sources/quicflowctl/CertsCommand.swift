import ArgumentParser

/// `quicflowctl certs`: a fleet CA and the certificates it issues.
struct CertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Create a fleet CA with a server certificate, and issue client certificates.",
        discussion: """
            Exit status 1 when certificates cannot be created (the directory already holds a CA, \
            an IP address is not valid, a file cannot be written); 64 for bad usage.
            """,
        subcommands: [CertsInitCommand.self, CertsIssueCommand.self]
    )
}
