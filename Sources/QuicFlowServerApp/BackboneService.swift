import QuicFlow
import ServiceLifecycle

/// Runs the backbone in a `ServiceGroup` and tells when it listens.
struct BackboneService: Service {
    let server: BackboneServer
    let started: AsyncStream<Void>.Continuation

    func run() async throws {
        try await server.start()
        started.yield()
        // Returns when graceful shutdown begins (or throws on cancellation);
        // the server stops either way.
        try? await gracefulShutdown()
        await server.stop()
    }
}
