import Synchronization

/// Counts the channels of a connection that are LISTENing and runs the
/// catch-up once all are.
final class ListeningCount: Sendable {
    private let remaining: Mutex<Int>
    private let then: @Sendable () async -> Void

    init(_ channels: Int, then: @escaping @Sendable () async -> Void) {
        remaining = Mutex(channels)
        self.then = then
    }

    /// One more channel listens; the last one runs the catch-up.
    func one() async {
        let last = remaining.withLock { remaining -> Bool in
            remaining -= 1
            return remaining == 0
        }
        if last { await then() }
    }
}
