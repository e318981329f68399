import ArgumentParser
import QuicFlowBuildInfo

/// `quicflow-server`: the QuicFlow backbone daemon.
@main
struct QuicFlowServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quicflow-server",
        abstract: "The QuicFlow backbone: devices connect over QUIC; operators use the admin HTTP API.",
        version: BuildInfo.versionLine,
        subcommands: [ServeCommand.self, CheckConfigCommand.self]
    )
}
