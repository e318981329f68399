import QuicFlow
import ServiceLifecycle

/// Runs the backbone in a `ServiceGroup` and tells when it listens.
struct BackboneService: Service {
    let server: BackboneServer
    let started: AsyncStream<Void>.Continuation
    /// What must be true before it listens (a cluster node has joined).
    var before: @Sendable () async -> Void = {}

    func run() async throws {
        // A shutdown while it waits (PostgreSQL unreachable at start) ends the wait.
        _ = await cancelWhenGracefulShutdown { await before() }
        try Task.checkCancellation()
        try await server.run(whenListening: { started.yield() })
    }
}
