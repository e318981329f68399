import ArgumentParser
import QuicFlowAgent
import QuicFlowDataDirectory

/// `quicflow-agent outbox reset`: starts a new, empty outbox on purpose.
struct OutboxResetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Start a new, empty outbox; the old file is kept beside it as outbox.sqlite.lost-TIME.",
        discussion: """
            For when the outbox was lost, emptied or replaced and the agent refuses to start. \
            Messages in the old file are not sent. Refused while an agent runs on the data directory.
            """
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        try await CommandFailure.reporting {
            let configuration = try options.load()
            if let holder = DataDirectoryLock.holder(dataDirectory: configuration.dataDirectory) {
                throw CommandFailure(.failure, "an agent (pid \(holder.pid)) is running on \(configuration.dataDirectory); stop it first")
            }
            let moved = try Outbox.reset(path: configuration.outboxPath)
            let outbox = try OutboxAccess.open(configuration)
            print("new, empty outbox at \(outbox.path)" + (moved.map { "; the old file is kept as \($0)" } ?? ""))
        }
    }
}
