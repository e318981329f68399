import Synchronization

/// Decides, poll by poll, whether the outbox files changed enough to ask
/// SQLite for its `data_version`.
final class StampTracker: Sendable {
    private struct State {
        var last: FileStamp?
        var unchanged = 0
    }

    private let state = Mutex(State())

    /// Whether to check now: the stamp moved, or `forcedEvery` polls passed.
    func shouldCheck(_ stamp: FileStamp, forcedEvery: Int) -> Bool {
        state.withLock { state in
            if stamp != state.last || state.unchanged >= forcedEvery {
                state.last = stamp
                state.unchanged = 0
                return true
            }
            state.unchanged += 1
            return false
        }
    }
}
