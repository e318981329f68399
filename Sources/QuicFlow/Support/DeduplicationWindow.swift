internal import NIOCore

/// Remembers the acknowledgement of each (client, msg_id) for a while, so a
/// retried message is answered from memory instead of being handled twice
/// (PROTOCOL.md, "Delivery de-duplication"). Bounded in time and in count.
struct DeduplicationWindow {
    private struct Key: Hashable {
        let clientID: String
        let msgID: String
    }

    private enum Entry {
        /// The first copy is still being handled; later copies wait for it.
        /// `expired` marks an entry that left the window while running.
        case pending([CheckedContinuation<Response, Never>], expired: Bool)
        case done(Response)
    }

    private let window: Duration
    private let capacity: Int
    private var entries: [Key: Entry] = [:]
    private var order = CircularBuffer<(key: Key, expiry: ContinuousClock.Instant)>()

    init(window: Duration, capacity: Int) {
        self.window = window
        self.capacity = capacity
    }

    enum Lookup {
        /// Not seen: handle it, then call ``complete(clientID:msgID:with:)``.
        case new
        /// Seen and answered: send this again.
        case answered(Response)
        /// Seen and still running: wait for its answer.
        case inProgress
    }

    /// Looks a message up and, if it is new, marks it as in progress.
    mutating func begin(clientID: String, msgID: String, now: ContinuousClock.Instant) -> Lookup {
        expire(now: now)
        let key = Key(clientID: clientID, msgID: msgID)
        switch entries[key] {
        case .done(let response):
            return .answered(response)
        case .pending:
            return .inProgress
        case nil:
            entries[key] = .pending([], expired: false)
            order.append((key, now + window))
            while order.count > capacity, let oldest = order.popFirst() {
                evict(oldest.key)
            }
            return .new
        }
    }

    /// Adds a waiter for a message still in progress.
    mutating func wait(clientID: String, msgID: String, _ continuation: CheckedContinuation<Response, Never>) {
        let key = Key(clientID: clientID, msgID: msgID)
        if case .pending(var waiters, let expired) = entries[key] {
            waiters.append(continuation)
            entries[key] = .pending(waiters, expired: expired)
        } else if case .done(let response) = entries[key] {
            continuation.resume(returning: response)
        } else {
            continuation.resume(returning: .failure("the original of this repeated message was forgotten; send it again"))
        }
    }

    /// Records the answer and wakes copies that waited for it. Only a
    /// SUCCESS is remembered: a FAILURE or TIMEOUT means the message was not
    /// taken, and the sender's repeat must be handled again.
    mutating func complete(clientID: String, msgID: String, with response: Response) {
        let key = Key(clientID: clientID, msgID: msgID)
        guard case .pending(let waiters, let expired) = entries[key] else { return }
        entries[key] = expired || response.status != .success ? nil : .done(response)
        waiters.forEach { $0.resume(returning: response) }
    }

    var count: Int { entries.count }

    private mutating func expire(now: ContinuousClock.Instant) {
        while let oldest = order.first, oldest.expiry <= now {
            order.removeFirst()
            evict(oldest.key)
        }
    }

    private mutating func evict(_ key: Key) {
        if case .pending(let waiters, _) = entries[key] {
            // Still running: its waiters need the answer; drop it once given.
            entries[key] = .pending(waiters, expired: true)
            return
        }
        entries.removeValue(forKey: key)
    }
}
