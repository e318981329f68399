import QuicFlowAgent

/// Opens the configured outbox for the inspection commands.
enum OutboxAccess {
    /// The outbox of `configuration` (created empty if the agent never ran).
    static func open(_ configuration: AgentConfiguration) throws(AgentError) -> Outbox {
        try Outbox(path: configuration.outboxPath, maxMessages: configuration.outbox.maxMessages)
    }
}
