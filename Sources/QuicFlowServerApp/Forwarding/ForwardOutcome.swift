import QuicFlow

/// What became of a unicast from the admin API.
enum ForwardOutcome: Sendable {
    /// Sent to the connected client: its ACK (`nil` without wait_ack) and
    /// how long it took.
    case answered(Response?, latency: Duration)
    /// The client is offline; the message waits in the store.
    case queued
}
