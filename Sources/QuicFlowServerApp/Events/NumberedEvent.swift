/// An event with its position in the server's stream (the SSE `id`).
struct NumberedEvent: Sendable {
    let id: UInt64
    let event: ServerEvent
}
