import QUICTransport

/// Where a ``BackboneServer`` is in its life, with what each state owns:
/// the endpoint exists only while running.
enum ServerLifecycle {
    /// Made, not yet bound.
    case idle
    /// Listening since `since` (on the server's clock).
    case running(endpoint: QUICEndpoint, since: Duration)
    /// Stopped; a server does not start twice.
    case stopped

    var isRunning: Bool {
        if case .running = self { true } else { false }
    }

    var endpoint: QUICEndpoint? {
        if case .running(let endpoint, _) = self { endpoint } else { nil }
    }
}
