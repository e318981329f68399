import QuicFlow

/// A write that a synchronous client hook asks of the outbox. Hooks cannot
/// await, so they queue these; one task of ``AgentService/run()`` applies
/// them in order and is awaited before the outbox closes, so none is lost
/// at shutdown.
enum OutboxWrite: Sendable {
    /// Status values for `quicflow-agent status`.
    case states([AgentStateKey: String?])
    /// A handler's answer whose ACK was lost: queued as a RESPONSE message.
    case lateResponse(IncomingMessage, Response)
    /// A message refused because every handler was busy: counted.
    case busyRefusal
}
