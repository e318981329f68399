import Synchronization

/// The snapshot last turned into counters, so that counters grow by deltas.
final class LastExported: Sendable {
    private let value = Mutex<MetricsSnapshot?>(nil)

    func swap(_ new: MetricsSnapshot) -> MetricsSnapshot? {
        value.withLock { old in
            let previous = old
            old = new
            return previous
        }
    }
}
