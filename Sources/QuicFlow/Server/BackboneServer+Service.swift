public import ServiceLifecycle

extension BackboneServer: Service {
    /// Runs the server under a `ServiceGroup`: binds it, runs its accept
    /// and eviction loops as child tasks, waits for graceful shutdown
    /// (SIGTERM, SIGINT, or the group's own), then stops it: clients are
    /// closed with code 7 and waiting sends fail.
    public func run() async throws {
        try await run(whenListening: {})
    }

    /// ``run()``, calling `whenListening` once the socket is bound.
    public func run(whenListening: @Sendable () -> Void) async throws {
        let endpoint = try await bind()
        whenListening()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.runLoops(endpoint) }
            // Returns when graceful shutdown begins; throws if the task is
            // cancelled instead, and the server stops either way.
            try? await gracefulShutdown()
            await stop()
            // In-flight work gets stop()'s 10 s to end, then is cancelled.
            group.addTask { try? await Task.sleep(for: .seconds(10)) }
            _ = await group.next()
            group.cancelAll()
        }
    }
}
