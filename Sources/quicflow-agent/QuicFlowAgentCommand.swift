import ArgumentParser
import QuicFlowBuildInfo

/// `quicflow-agent`: the QuicFlow edge daemon and its tools.
@main
struct QuicFlowAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quicflow-agent",
        abstract: "The QuicFlow device agent: one reconnecting session to the backbone, a durable outbox, handler executables.",
        discussion: """
            The configuration file is --config, else $QUICFLOW_AGENT_CONFIG, else /etc/quicflow/agent.conf.

            Exit status: 0 success; 1 error (or a FAILURE answer for send --wait); 2 TIMEOUT answer or \
            send --wait gave up waiting; 3 the outbox is full; 78 the configuration is invalid.
            """,
        version: BuildInfo.versionLine,
        subcommands: [
            RunCommand.self, CheckConfigCommand.self, SendCommand.self, StatusCommand.self, OutboxCommand.self,
        ]
    )
}
