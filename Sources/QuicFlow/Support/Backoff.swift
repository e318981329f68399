/// Exponential reconnect delays: initial, 2×, 4× … capped at the maximum,
/// each spread by ± jitter so that a fleet does not reconnect in lockstep.
struct Backoff: Sendable {
    let initial: Duration
    let maximum: Duration
    let jitter: Double

    /// The delay before reconnect attempt `attempt` (1-based).
    func delay<G: RandomNumberGenerator>(attempt: Int, using generator: inout G) -> Duration {
        let doublings = min(max(attempt - 1, 0), 30)
        var base = initial
        for _ in 0..<doublings where base < maximum { base = base * 2 }
        base = min(base, maximum)
        guard jitter > 0 else { return base }
        let factor = 1 + Double.random(in: -jitter...jitter, using: &generator)
        return min(base * factor, maximum)
    }

    /// The delay without jitter, for tests and logs.
    func nominalDelay(attempt: Int) -> Duration {
        var zero = ZeroJitter()
        return Backoff(initial: initial, maximum: maximum, jitter: 0).delay(attempt: attempt, using: &zero)
    }

    private struct ZeroJitter: RandomNumberGenerator {
        mutating func next() -> UInt64 { 0 }
    }
}
