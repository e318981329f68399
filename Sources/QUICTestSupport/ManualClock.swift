import Synchronization

/// A `Clock` that moves only when a test calls ``advance(by:)``: sleepers
/// whose deadline is reached wake in deadline order. For heartbeats,
/// eviction, backoff, TTLs and windows, tested without real time.
public final class ManualClock: Clock, Sendable {
    /// A point on the manual clock: the offset from its start.
    public struct Instant: InstantProtocol, Sendable {
        /// Offset from the clock's start.
        public let offset: Duration

        /// An instant at `offset` from the start.
        public init(offset: Duration) { self.offset = offset }
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        let id: UInt64
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Sleeper] = []
        var nextID: UInt64 = 0
        var cancelled: Set<UInt64> = []
    }

    private let state = Mutex(State())

    /// A clock at offset zero.
    public init() {}

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// How many tasks sleep on the clock now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resume: Result<Void, any Error>? = state.withLock { state in
                    if state.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return nil
                }
                if let resume { continuation.resume(with: resume) }
            }
        } onCancel: {
            let sleeper: Sleeper? = state.withLock { state in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else {
                    state.cancelled.insert(id)
                    return nil
                }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward and wakes every sleeper whose deadline is reached.
    public func advance(by duration: Duration) {
        let due: [Sleeper] = state.withLock { state in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Waits (in real time, at most `limit`) until exactly `count` tasks
    /// sleep on the clock: a test advances only once the code under test is
    /// waiting (after an advance, until a loop has run and slept again).
    public func waitForSleepers(_ count: Int, limit: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + limit
        while sleeperCount != count {
            guard ContinuousClock.now < deadline else {
                throw ManualClockTimeout(expected: count, actual: sleeperCount)
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}

/// ``ManualClock/waitForSleepers(_:limit:)`` gave up.
public struct ManualClockTimeout: Error, CustomStringConvertible {
    /// Sleepers awaited.
    public let expected: Int
    /// Sleepers there were.
    public let actual: Int
    public var description: String { "waited for \(expected) sleepers on the manual clock, found \(actual)" }
}
