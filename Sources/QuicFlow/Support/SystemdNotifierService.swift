public import ServiceLifecycle

/// A daemon's side of `Type=notify` with `WatchdogSec=`: `READY=1` once
/// `ready` says the daemon serves, `WATCHDOG=1` at half the watchdog timeout
/// for as long as `probe` comes back (it should pass through the daemon's
/// own actors, so a stuck daemon stops feeding the watchdog and systemd
/// restarts it), and `STOPPING=1` when graceful shutdown begins.
public struct SystemdNotifierService: Service {
    private let notifier: SystemdNotifier
    private let ready: @Sendable () async -> String
    private let probe: @Sendable () async -> Void

    /// - Parameters:
    ///   - ready: returns once the daemon serves, with a one-line status;
    ///     called once, also outside systemd (so it may announce the daemon
    ///     in the log).
    ///   - probe: a round trip through the daemon's main loop.
    public init(
        notifier: SystemdNotifier = SystemdNotifier(), ready: @escaping @Sendable () async -> String,
        probe: @escaping @Sendable () async -> Void
    ) {
        self.notifier = notifier
        self.ready = ready
        self.probe = probe
    }

    public func run() async throws {
        let status: String? = await cancelWhenGracefulShutdown { await ready() }
        guard notifier.isActive else {
            // Nothing to tell; returning early would end the service group.
            try? await gracefulShutdown()
            return
        }
        if let status, !Task.isShuttingDownGracefully {
            notifier.notify(["READY=1", "STATUS=\(status)"])
        }
        if let timeout = notifier.watchdogTimeout {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: timeout / 2) }
                } catch {
                    break
                }
                await probe()
                notifier.notify(["WATCHDOG=1"])
            }
        } else {
            try? await gracefulShutdown()
        }
        notifier.notify(["STOPPING=1"])
    }
}
