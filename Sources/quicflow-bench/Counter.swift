import Synchronization

/// A count shared between tasks and handlers.
final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)

    /// Adds one; returns the new count.
    @discardableResult
    func increment() -> Int {
        atomic.add(1, ordering: .relaxed).newValue
    }

    var value: Int { atomic.load(ordering: .relaxed) }
}
