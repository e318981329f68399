import ArgumentParser

/// `quicflow-agent outbox`: inspect and manage queued messages.
struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "List, retry or purge the messages in the outbox.",
        subcommands: [OutboxListCommand.self, OutboxRetryCommand.self, OutboxPurgeCommand.self, OutboxResetCommand.self, OutboxSalvageCommand.self]
    )
}
