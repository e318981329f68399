import QuicFlowConfigFile
public import QuicFlow
public import QuicFlowHooks

extension AgentConfiguration {
    /// The `[handlers]` tables: the executable that handles each type of
    /// message the backbone sends. A type without a handler is answered
    /// with FAILURE.
    public struct HandlerSettings: Sendable, Hashable {
        /// `[handlers.command]`: runs COMMAND messages that no
        /// `[commands.NAME]` claims.
        public let command: HandlerConfiguration?
        /// `[handlers.query]`: answers QUERY messages.
        public let query: HandlerConfiguration?
        /// `[handlers.event]`: receives EVENT messages.
        public let event: HandlerConfiguration?

        /// The handler configured for messages of `type`; `nil` for
        /// RESPONSE and for types without a table.
        public func handler(for type: MessageType) -> HandlerConfiguration? {
            switch type {
            case .command: command
            case .query: query
            case .event: event
            case .response: nil
            }
        }

        /// Every configured handler, for sizing what runs them.
        public var all: [HandlerConfiguration] {
            [command, query, event].compactMap { $0 }
        }

        /// The tables `[handlers]` may hold.
        static let keys = ["command", "query", "event"]

        /// Reads `[handlers]`, reporting every problem with its full key name.
        init(reading table: ConfigurationTable) {
            table.rejectUnknownKeys(known: Self.keys, kind: "table")
            func handler(_ key: String) -> HandlerConfiguration? {
                // An absent table is no handler; a non-table is already reported.
                let entries = table.subtable(key)
                guard entries.table != nil else { return nil }
                return HandlerConfiguration(reading: entries)
            }
            command = handler("command")
            query = handler("query")
            event = handler("event")
        }
    }
}
