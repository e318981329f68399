import ArgumentParser
import Foundation
import QuicFlowAgent

/// `quicflow-agent status`: the session, the outbox and recent handler runs.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the connection, the outbox and recent handler runs (works whether the agent runs or not)."
    )

    @OptionGroup var options: ConfigOption

    @Flag(help: "Print JSON (snake_case keys, ISO 8601 UTC times).")
    var json = false

    @Option(help: ArgumentHelp("How many recent handler runs to show.", valueName: "n"))
    var handlerRuns = 10

    func run() async throws {
        try await CommandFailure.reporting(json: json) {
            let configuration = try options.load()
            let outbox = try OutboxAccess.open(configuration)
            // A damaged outbox is reported as such, not as a count that may be wrong.
            try await outbox.checkIntegrity()
            let status = try await AgentStatus.read(configuration: configuration, outbox: outbox, handlerRuns: handlerRuns)
            if json {
                print(try status.jsonText(), terminator: "")
            } else {
                print(status.text(), terminator: "")
            }
        }
    }
}
