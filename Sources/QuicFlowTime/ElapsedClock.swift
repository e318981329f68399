/// The injected monotonic clock of a component, reduced to what it needs:
/// the time elapsed since the clock was given, and sleeping on it.
///
/// Heartbeats, eviction, backoff waits, TTL sweeps and de-duplication
/// windows take one, so a test drives them with a manual clock instead of
/// real time. It wraps any `Clock<Duration>` (`ContinuousClock` in
/// production), whose instants an existential cannot compare by itself.
public struct ElapsedClock: Sendable {
    private let elapsed: @Sendable () -> Duration
    private let sleeper: @Sendable (Duration) async throws -> Void
    /// Whether this is the real monotonic clock, so that hot paths may use
    /// cheaper timers of their own (NIO's) that run on the same time.
    public let isContinuous: Bool

    /// Measures from now on `clock`.
    public init(_ clock: any Clock<Duration>) {
        (elapsed, sleeper) = Self.open(clock)
        isContinuous = clock is ContinuousClock
    }

    private static func open<C: Clock<Duration>>(
        _ clock: C
    ) -> (@Sendable () -> Duration, @Sendable (Duration) async throws -> Void) {
        let start = clock.now
        return ({ start.duration(to: clock.now) }, { try await clock.sleep(for: $0) })
    }

    /// The real clock.
    public static var continuous: ElapsedClock { ElapsedClock(ContinuousClock()) }

    /// Time since this clock was made: compare and subtract these.
    public func now() -> Duration {
        elapsed()
    }

    /// Sleeps `duration` on the clock; throws `CancellationError` when cancelled.
    public func sleep(for duration: Duration) async throws {
        try await sleeper(duration)
    }
}
