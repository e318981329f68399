import ArgumentParser
import Foundation
import QuicFlowAgent

/// `--config FILE`, shared by every subcommand.
struct ConfigOption: ParsableArguments {
    /// Where the configuration file is when `--config` is not given.
    static let defaultPath = "/etc/quicflow/agent.conf"

    @Option(
        name: .shortAndLong,
        help: ArgumentHelp(
            "The agent configuration file (default: $QUICFLOW_AGENT_CONFIG, else /etc/quicflow/agent.conf).",
            valueName: "file"))
    var config: String?

    /// The file to read: the option, the environment, or the default.
    var path: String {
        if let config { return config }
        if let fromEnvironment = ProcessInfo.processInfo.environment["QUICFLOW_AGENT_CONFIG"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return Self.defaultPath
    }

    /// The checked configuration, or exit 78 with every problem printed.
    func load() throws -> AgentConfiguration {
        do {
            return try AgentConfiguration.load(path: path)
        } catch {
            throw CommandFailure(.invalidConfiguration, error.message)
        }
    }
}
