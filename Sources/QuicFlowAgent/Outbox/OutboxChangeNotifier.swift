import NIOCore
import NIOPosix
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
        var watcher: RepeatedTask?
        /// The last `data_version` seen; kept across watcher restarts so a
        /// commit made while nobody listened still wakes the next subscriber.
        var dataVersion: Int64?
        var finished = false
    }

    private let state: Mutex<State>
    private let pollInterval: Duration
    /// Reads `PRAGMA data_version`; `nil` once the database is closed.
    private let readDataVersion: @Sendable () async -> Int64?
    private let fileStamp: @Sendable () -> FileStamp

    /// Polls at most this many times in a row on an unchanged file stamp
    /// before asking SQLite anyway: a commit inside the file system's
    /// timestamp granularity that leaves the WAL's size unchanged (a reused
    /// WAL) would otherwise go unseen until the next change.
    static let forcedCheckEvery = 20

    init(
        dataVersion: Int64?, pollInterval: Duration, fileStamp: @escaping @Sendable () -> FileStamp,
        readDataVersion: @escaping @Sendable () async -> Int64?
    ) {
        self.state = Mutex(State(dataVersion: dataVersion))
        self.pollInterval = pollInterval
        self.fileStamp = fileStamp
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
        watcher?.cancel(promise: nil)
        // finish() runs onTermination, which takes the lock: outside it.
        for continuation in continuations {
            continuation.finish()
        }
    }

    private func unsubscribe(_ id: Int) {
        let idleWatcher: RepeatedTask? = state.withLock { state in
            state.subscribers[id] = nil
            guard state.subscribers.isEmpty else { return nil }
            defer { state.watcher = nil }
            return state.watcher
        }
        idleWatcher?.cancel(promise: nil)
    }

    /// Polls on a NIO event loop timer: a stat of the files is ~1 µs, and a
    /// loop timer costs one epoll wake-up, where a sleeping Swift task cost
    /// a dozen system calls and thread hand-offs per poll and a SQLite query
    /// through GRDB's queue hundreds of microseconds; at 20 polls a second
    /// those kept an idle agent near 1% CPU. SQLite is asked only when the
    /// stamp moved (or every ``forcedCheckEvery`` polls).
    private func startWatcher() -> RepeatedTask {
        let poll = TimeAmount.nanoseconds(Int64(pollInterval.components.seconds) * 1_000_000_000
            + pollInterval.components.attoseconds / 1_000_000_000)
        let tracker = StampTracker()
        return MultiThreadedEventLoopGroup.singleton.next().scheduleRepeatedTask(
            initialDelay: .zero, delay: poll
        ) { [weak self, readDataVersion, fileStamp] _ in
            guard tracker.shouldCheck(fileStamp(), forcedEvery: Self.forcedCheckEvery) else { return }
            // Unstructured: NIO's repeated task is synchronous; the read is
            // async and short, and the repeated task is cancelled with its owner.
            Task {
                if let version = await readDataVersion() { self?.observe(version) }
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
