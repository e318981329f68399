import ArgumentParser

/// `quicflowctl`: the operator's CLI over the admin API, and fleet certificates.
@main
struct QuicFlowCtlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quicflowctl",
        abstract: "Drive a quicflow-server through its admin API, and issue fleet certificates.",
        subcommands: [CertsCommand.self]
    )
}
