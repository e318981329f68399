import Synchronization

/// Wakes the outbox's subscribers when rows may have become deliverable.
///
/// Writes through the same ``Outbox`` signal directly. Writes by another
/// connection (a separate `quicflow-agent send`, or a second `Outbox` on the
/// same file) are seen by polling SQLite's `PRAGMA data_version`, which
/// changes exactly when another connection commits. The poll is a read of a
/// counter in shared memory, not a table scan, so a 50 ms timer costs next to
/// nothing; it runs only while someone is subscribed. inotify on the -wal file
/// was the alternative, but SQLite deletes and recreates that file (on the last
/// close, on checkpoints it restarts it), and it is Linux-only.
final class OutboxChangeNotifier: Sendable {
    private struct State {
        var subscribers: [Int: AsyncStream<Void>.Continuation] = [:]
        var nextID = 0
        var watcher: Task<Void, Never>?
        /// The last `data_version` seen; kept across watcher restarts so a
        /// commit made while nobody listened still wakes the next subscriber.
        var dataVersion: Int64?
        var finished = false
    }

    private let state: Mutex<State>
    private let pollInterval: Duration
    /// Reads `PRAGMA data_version`; `nil` once the database is closed.
    private let readDataVersion: @Sendable () async -> Int64?

    init(dataVersion: Int64?, pollInterval: Duration, readDataVersion: @escaping @Sendable () async -> Int64?) {
        self.state = Mutex(State(dataVersion: dataVersion))
        self.pollInterval = pollInterval
        self.readDataVersion = readDataVersion
    }

    /// A new stream of change signals. Signals coalesce: a slow consumer sees
    /// one signal for many changes.
    func subscribe() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id: Int? = state.withLock { state in
            guard !state.finished else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = continuation
            if state.watcher == nil {
                state.watcher = startWatcher()
            }
            return id
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.unsubscribe(id)
        }
        return stream
    }

    /// Wakes every subscriber.
    func signal() {
        // Yield outside the lock: continuations run no code of ours on yield,
        // but keeping lock scopes to plain data rules out re-entrance.
        let continuations = state.withLock { Array($0.subscribers.values) }
        for continuation in continuations {
            continuation.yield()
        }
    }

    /// Ends every stream and stops polling; later subscribers get a finished stream.
    func finish() {
        let (continuations, watcher) = state.withLock { state in
            state.finished = true
            defer {
                state.subscribers = [:]
                state.watcher = nil
            }
            return (Array(state.subscribers.values), state.watcher)
        }
        watcher?.cancel()
        // finish() runs onTermination, which takes the lock: outside it.
        for continuation in continuations {
            continuation.finish()
        }
    }

    private func unsubscribe(_ id: Int) {
        let idleWatcher: Task<Void, Never>? = state.withLock { state in
            state.subscribers[id] = nil
            guard state.subscribers.isEmpty else { return nil }
            defer { state.watcher = nil }
            return state.watcher
        }
        idleWatcher?.cancel()
    }

    private func startWatcher() -> Task<Void, Never> {
        Task { [weak self, pollInterval, readDataVersion] in
            while !Task.isCancelled {
                if let version = await readDataVersion() {
                    guard let self else { return }
                    self.observe(version)
                }
                do {
                    try await Task.sleep(for: pollInterval)
                } catch {
                    return
                }
            }
        }
    }

    private func observe(_ version: Int64) {
        let changed = state.withLock { state in
            defer { state.dataVersion = version }
            return state.dataVersion != nil && state.dataVersion != version
        }
        if changed {
            signal()
        }
    }
}
