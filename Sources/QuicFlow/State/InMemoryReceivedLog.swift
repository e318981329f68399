import NIOCore
public import QuicFlowTime
import Synchronization

/// The ``ReceivedLog`` in memory: bounded in time (the window) and in count
/// (the capacity), lost on restart. The default of ``BackboneServer``.
public final class InMemoryReceivedLog: ReceivedLog {
    private struct Key: Hashable {
        let sender: String
        let msgID: String
    }

    private enum Entry {
        /// Being handled; `expired` marks one that left the window meanwhile
        /// (dropped once its handling ends, so it is never answered stale).
        case handling(expired: Bool)
        case answered(Response)
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        /// Insertion order with each entry's time, for the window and the capacity.
        var order = CircularBuffer<(key: Key, at: Duration)>()
    }

    private let window: Duration
    private let capacity: Int
    private let clock: ElapsedClock
    private let state = Mutex(State())

    /// A log that remembers answers for `window`, at most `capacity` entries.
    public init(window: Duration, capacity: Int, clock: ElapsedClock = .continuous) {
        self.window = window
        self.capacity = max(capacity, 1)
        self.clock = clock
    }

    /// Always `false`: a restart forgets everything.
    public var isDurable: Bool { false }

    public nonisolated(nonsending) func beginHandling(sender: String, msgID: String) async throws -> ReceivedLookup {
        let now = clock.now()
        return state.withLock { state in
            Self.expire(&state, before: now - window)
            let key = Key(sender: sender, msgID: msgID)
            switch state.entries[key] {
            case .answered(let response):
                return .answered(response)
            case .handling:
                return .inProgress
            case nil:
                state.entries[key] = .handling(expired: false)
                state.order.append((key, now))
                while state.order.count > capacity, let oldest = state.order.popFirst() {
                    Self.evict(&state, oldest.key)
                }
                return .new
            }
        }
    }

    @discardableResult
    public nonisolated(nonsending) func recordAnswer(sender: String, msgID: String, _ response: Response) async throws -> Bool {
        state.withLock { state in
            let key = Key(sender: sender, msgID: msgID)
            guard case .handling(let expired) = state.entries[key] else { return false }
            state.entries[key] = expired ? nil : .answered(response)
            return !expired
        }
    }

    public nonisolated(nonsending) func forgetHandling(sender: String, msgID: String) async throws {
        state.withLock { state in
            let key = Key(sender: sender, msgID: msgID)
            if case .handling = state.entries[key] { state.entries[key] = nil }
        }
    }

    public nonisolated(nonsending) func lookup(sender: String, msgID: String) async throws -> ReceivedLookup? {
        let now = clock.now()
        return state.withLock { state in
            Self.expire(&state, before: now - window)
            switch state.entries[Key(sender: sender, msgID: msgID)] {
            case .answered(let response): return .answered(response)
            case .handling(expired: false): return .inProgress
            case .handling(expired: true), nil: return nil
            }
        }
    }

    @discardableResult
    public nonisolated(nonsending) func purge(olderThan window: Duration) async throws -> Int {
        let now = clock.now()
        return state.withLock { state in
            let before = state.entries.count
            Self.expire(&state, before: now - window)
            return before - state.entries.count
        }
    }

    public nonisolated(nonsending) func answerCount() async throws -> Int {
        state.withLock { state in
            state.entries.values.count { if case .answered = $0 { true } else { false } }
        }
    }

    /// Entries counted, for tests: handling ones included.
    var count: Int { state.withLock { $0.entries.count } }

    /// Drops the entries inserted at or before `cutoff`.
    private static func expire(_ state: inout State, before cutoff: Duration) {
        while let oldest = state.order.first, oldest.at <= cutoff {
            state.order.removeFirst()
            evict(&state, oldest.key)
        }
    }

    private static func evict(_ state: inout State, _ key: Key) {
        if case .handling = state.entries[key] {
            // Still running: keep it so a repeat waits, drop it once it ends.
            state.entries[key] = .handling(expired: true)
            return
        }
        state.entries.removeValue(forKey: key)
    }
}
