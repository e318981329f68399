import ArgumentParser
import Foundation
import QuicFlowAgent

/// `quicflow-agent check-config`: validates the configuration file.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check the configuration file; every problem is named by its key (and line for syntax errors).",
        discussion: """
            Beyond the file itself it checks what `run` would refuse later: the server address is not the \
            example's placeholder, the CA file holds certificates, the client certificate and key parse and \
            match, and each handler exists, is executable, is not writable by others, belongs to root or to \
            this user, and can run as its `user`. The checks run as the calling user: run it as the user \
            the agent runs as (sudo -u quicflow quicflow-agent check-config). Every problem is reported at \
            once. Exit 0 when valid, 78 when not.
            """
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        try await CommandFailure.reporting {
            let configuration = try options.load()
            _ = try configuration.clientConfiguration()
            if let error = AgentConfigurationCheck(configuration).error(path: options.path) {
                throw CommandFailure(error)
            }
            let handlers = configuration.handlers.all.count + configuration.commands.count
            for warning in configuration.warnings {
                FileHandle.standardError.write(Data("quicflow-agent: \(options.path): warning: \(warning)\n".utf8))
            }
            print("\(options.path): ok (client_id \(configuration.clientID), server \(configuration.server.host):\(configuration.server.port), \(handlers) handler(s), outbox \(configuration.outboxPath))")
        }
    }
}
