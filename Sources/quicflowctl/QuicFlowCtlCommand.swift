import ArgumentParser
import QuicFlowBuildInfo

/// `quicflowctl`: the operator's CLI over the admin API, and fleet certificates.
@main
struct QuicFlowCtlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quicflowctl",
        abstract: "Drive a quicflow-server through its admin API, and issue fleet certificates.",
        version: BuildInfo.versionLine,
        subcommands: [
            ClientsCommand.self, ClientCommand.self, SendCommand.self, BroadcastCommand.self, MessageCommand.self,
            EventsCommand.self, MetricsCommand.self, ClusterCommand.self, CertsCommand.self,
        ]
    )
}
