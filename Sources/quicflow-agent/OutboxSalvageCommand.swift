import ArgumentParser
import QuicFlowAgent
import QuicFlowTime
import QuicFlowDataDirectory

/// `quicflow-agent outbox salvage`: saves what can be read of a damaged outbox.
struct OutboxSalvageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "salvage",
        abstract: "Copy every readable message of a damaged outbox into a new one; say how many were saved and lost.",
        discussion: """
            For when the agent refuses a corrupt outbox. The damaged file is kept beside the new one as \
            outbox.sqlite.corrupt-TIME. Refused while an agent runs on the data directory.
            """
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        try await CommandFailure.reporting {
            let configuration = try options.load()
            if let holder = DataDirectoryLock.holder(dataDirectory: configuration.dataDirectory) {
                throw CommandFailure(.failure, "an agent (pid \(holder.pid)) is running on \(configuration.dataDirectory); stop it first")
            }
            let result = try await Outbox.salvage(
                path: configuration.outboxPath, maxMessages: configuration.outbox.maxMessages,
                retryBackoff: configuration.reconnect.backoff)
            let lost = result.lostCountKnown ? "\(result.lost)" : "at least \(result.lost)"
            print("saved \(result.saved) message(s), lost \(lost); the damaged file is kept as \(result.damagedFile)")
        }
    }
}
