import ServiceLifecycle

/// Sweeps the message store once a second (expiry, left-behind
/// deliveries) until graceful shutdown, then ends the event streams.
struct ForwarderService: Service {
    let forwarder: MessageForwarder
    let events: EventHub
    let interval: Duration

    func run() async throws {
        defer { events.finish() }
        await forwarder.sweep()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
            await forwarder.sweep()
        }
    }
}
