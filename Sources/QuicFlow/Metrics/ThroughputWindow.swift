/// Counts events in one-second buckets over a sliding window, so that the
/// reported rate follows recent traffic instead of the lifetime average.
struct ThroughputWindow: Sendable {
    private var buckets: [Int]
    private var bucketStart: [Int64]
    private let seconds: Int

    init(seconds: Int = 10) {
        self.seconds = seconds
        buckets = [Int](repeating: 0, count: seconds)
        bucketStart = [Int64](repeating: -1, count: seconds)
    }

    /// Adds `count` events at `now` (whole seconds on any monotonic scale).
    mutating func record(_ count: Int = 1, at now: Int64) {
        let index = Int(now % Int64(seconds))
        if bucketStart[index] != now {
            bucketStart[index] = now
            buckets[index] = 0
        }
        buckets[index] += count
    }

    /// Events per second over the last `seconds` whole seconds before `now`
    /// (the current, partial second included).
    func rate(at now: Int64) -> Double {
        var total = 0
        for i in 0..<seconds where bucketStart[i] > now - Int64(seconds) && bucketStart[i] <= now {
            total += buckets[i]
        }
        return Double(total) / Double(seconds)
    }
}
