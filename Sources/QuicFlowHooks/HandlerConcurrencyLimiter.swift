/// Caps how many runs of each handler happen at once; the others wait in
/// arrival order (FIFO).
package actor HandlerConcurrencyLimiter {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct Slots {
        var running = 0
        var waiters: [Waiter] = []
    }

    private var slots: [String: Slots] = [:]
    private var nextWaiterID: UInt64 = 0

    package init() {}

    /// Waits until fewer than `limit` runs hold `key`, then takes a slot.
    /// Every successful `acquire` must be paired with one ``release(_:)``.
    /// - Throws: `CancellationError` when the task is cancelled while waiting
    ///   (no slot is taken then).
    package func acquire(_ key: String, limit: Int) async throws {
        let limit = max(1, limit)
        var entry = slots[key, default: Slots()]
        // Queue behind earlier waiters even if a slot looks free: FIFO.
        if entry.running < limit && entry.waiters.isEmpty {
            entry.running += 1
            slots[key] = entry
            return
        }
        let id = nextWaiterID
        nextWaiterID &+= 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                slots[key, default: Slots()].waiters.append(Waiter(id: id, continuation: continuation))
            }
        } onCancel: {
            // Unstructured: a cancellation handler is synchronous and may run
            // on any thread; the waiter list belongs to the actor.
            Task { await self.cancelWaiter(id, key: key) }
        }
    }

    /// Gives back a slot taken by ``acquire(_:limit:)``, handing it straight
    /// to the longest waiter if there is one.
    package func release(_ key: String) {
        guard var entry = slots[key] else { return }
        if entry.waiters.isEmpty {
            entry.running -= 1
            slots[key] = entry.running > 0 ? entry : nil
        } else {
            // The slot passes to the waiter, so `running` stays the same.
            let waiter = entry.waiters.removeFirst()
            slots[key] = entry
            waiter.continuation.resume()
        }
    }

    /// How many runs hold a slot for `key` (for tests and diagnostics).
    package func running(_ key: String) -> Int {
        slots[key]?.running ?? 0
    }

    /// How many runs wait for a slot for `key` (for tests and diagnostics).
    package func waiting(_ key: String) -> Int {
        slots[key]?.waiters.count ?? 0
    }

    private func cancelWaiter(_ id: UInt64, key: String) {
        // Not found means it was already handed a slot; the run goes ahead.
        guard var entry = slots[key], let index = entry.waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = entry.waiters.remove(at: index)
        slots[key] = entry
        waiter.continuation.resume(throwing: CancellationError())
    }
}
