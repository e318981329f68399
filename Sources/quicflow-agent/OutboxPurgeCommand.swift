import ArgumentParser
import QuicFlowAgent

/// `quicflow-agent outbox purge`.
struct OutboxPurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Delete messages for good: dead ones by default.",
        discussion: "Purging pending messages loses them, so --state pending also needs --force."
    )

    @OptionGroup var options: ConfigOption

    @Option(help: ArgumentHelp("Which messages: dead (default) or pending.", valueName: "state"))
    var state = "dead"

    @Flag(help: "Confirm purging pending messages.")
    var force = false

    func validate() throws {
        guard let chosen = OutboxMessage.State(rawValue: state), chosen != .inFlight else {
            throw ValidationError("--state \(state) cannot be purged; use dead or pending")
        }
        if chosen == .pending && !force {
            throw ValidationError("purging pending messages loses them; add --force if that is what you want")
        }
    }

    func run() async throws {
        try await CommandFailure.reporting {
            let outbox = try OutboxAccess.open(try options.load())
            let count = try await outbox.purge(state: OutboxMessage.State(rawValue: state)!)
            print("\(count) \(state) message(s) purged")
        }
    }
}
