import QuicFlow
import ServiceLifecycle

/// Runs the backbone in a `ServiceGroup` and tells when it listens.
struct BackboneService: Service {
    let server: BackboneServer
    let started: AsyncStream<Void>.Continuation

    func run() async throws {
        try await server.run(whenListening: { started.yield() })
    }
}
