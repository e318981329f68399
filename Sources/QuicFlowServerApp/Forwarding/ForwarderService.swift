import ServiceLifecycle

/// Runs the forwarder until graceful shutdown: the deliveries it is asked
/// for, as child tasks, and a sweep of the message store once a second
/// (expiry, left-behind deliveries); then cancels the deliveries in flight
/// (their messages stay queued) and ends the event streams.
struct ForwarderService: Service {
    let forwarder: MessageForwarder
    let events: EventHub
    let interval: Duration
    /// What must be true before it sweeps (a cluster node has joined).
    var before: @Sendable () async -> Void = {}

    func run() async throws {
        defer { events.finish() }
        _ = await cancelWhenGracefulShutdown { await before() }
        await withDiscardingTaskGroup { group in
            group.addTask { await forwarder.runDeliveries() }
            await forwarder.sweep()
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
                } catch {
                    break
                }
                await forwarder.sweep()
            }
            group.cancelAll()
        }
    }
}
