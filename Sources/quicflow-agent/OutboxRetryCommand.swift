import ArgumentParser
import QuicFlowAgent

/// `quicflow-agent outbox retry`.
struct OutboxRetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Queue every dead message again (attempts and age start over)."
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        try await CommandFailure.reporting {
            let outbox = try OutboxAccess.open(try options.load())
            let count = try await outbox.retryDead()
            print("\(count) dead message(s) queued again")
        }
    }
}
