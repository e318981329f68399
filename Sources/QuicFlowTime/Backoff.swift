/// Exponential retry delays: initial, 2×, 4× … capped at the maximum, each
/// spread by ± jitter so that a fleet does not retry in lockstep.
///
/// The one backoff of the project: reconnects, outbox retries and the
/// server's store-and-forward deliveries all wait through it, so nothing is
/// retried faster than its configuration says.
public struct Backoff: Sendable, Hashable {
    /// The delay before the first retry.
    public let initial: Duration
    /// The longest delay.
    public let maximum: Duration
    /// The random spread of each delay, as a fraction (0.2 = ±20%).
    public let jitter: Double

    /// Creates a backoff; `maximum` below `initial` is raised to it and
    /// `jitter` is clamped to 0...1.
    public init(initial: Duration, maximum: Duration, jitter: Double) {
        self.initial = initial
        self.maximum = max(initial, maximum)
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay before retry `attempt` (1-based: the delay after the first
    /// failure is `attempt` 1).
    public func delay<G: RandomNumberGenerator>(attempt: Int, using generator: inout G) -> Duration {
        let base = nominalDelay(attempt: attempt)
        guard jitter > 0 else { return base }
        let factor = 1 + Double.random(in: -jitter...jitter, using: &generator)
        return min(base * factor, maximum)
    }

    /// The delay before retry `attempt`, with the system's randomness.
    public func delay(attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(attempt: attempt, using: &generator)
    }

    /// The delay without jitter.
    public func nominalDelay(attempt: Int) -> Duration {
        let doublings = min(max(attempt - 1, 0), 30)
        var base = initial
        for _ in 0..<doublings where base < maximum { base = base * 2 }
        return min(base, maximum)
    }

    /// The shortest delay jitter can give retry `attempt`: no retry comes sooner.
    public func shortestDelay(attempt: Int) -> Duration {
        nominalDelay(attempt: attempt) * (1 - jitter)
    }
}
