import ArgumentParser
import Foundation
import QuicFlowAgent

/// `quicflow-agent check-config`: validates the configuration file.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check the configuration file; every problem is named by its key (and line for syntax errors).",
        discussion: "Also checks that the PEM files it names can be read. Exit 0 when valid, 78 when not."
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        try await CommandFailure.reporting {
            let configuration = try options.load()
            _ = try configuration.clientConfiguration()
            let handlers = configuration.handlers.all.count + configuration.commands.count
            for warning in configuration.warnings {
                FileHandle.standardError.write(Data("quicflow-agent: \(options.path): warning: \(warning)\n".utf8))
            }
            print("\(options.path): ok (client_id \(configuration.clientID), server \(configuration.server.host):\(configuration.server.port), \(handlers) handler(s), outbox \(configuration.outboxPath))")
        }
    }
}
