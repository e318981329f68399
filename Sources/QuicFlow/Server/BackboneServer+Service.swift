public import ServiceLifecycle

extension BackboneServer: Service {
    /// Runs the server under a `ServiceGroup`: starts it, waits for
    /// graceful shutdown (SIGTERM, SIGINT, or the group's own), then stops
    /// it — clients are closed with code 7 and waiting sends fail.
    public func run() async throws {
        try await start()
        // Returns when graceful shutdown begins; throws if the task is
        // cancelled instead, and the server stops either way.
        try? await gracefulShutdown()
        await stop()
    }
}
