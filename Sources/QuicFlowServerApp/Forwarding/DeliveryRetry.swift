/// A queued message whose delivery failed: how many times, and when the
/// next try may start (``MessageForwarder``'s backoff).
struct DeliveryRetry: Sendable {
    /// Failed deliveries so far.
    var attempts: Int
    /// The earliest start of the next one, on the forwarder's clock.
    var due: Duration
}
