import QuicFlow
import ServiceLifecycle

/// Runs the backbone in a `ServiceGroup` and tells when it listens.
struct BackboneService: Service {
    let server: BackboneServer
    let started: AsyncStream<Void>.Continuation
    /// What must be true before it listens (a cluster node has joined).
    var before: @Sendable () async -> Void = {}
    /// Runs once it listens (a cluster node announces its address).
    var listening: @Sendable () async -> Void = {}

    func run() async throws {
        // A shutdown while it waits (PostgreSQL unreachable at start) ends the wait.
        _ = await cancelWhenGracefulShutdown { await before() }
        try Task.checkCancellation()
        try await server.run(whenListening: {
            started.yield()
            // Unstructured: this callback is synchronous; the announcement is
            // one bounded database call.
            Task { await listening() }
        })
    }
}
