import Histogram

/// Acknowledgement round trips in an HDR histogram (µs, 3 significant
/// digits, up to an hour), for percentiles that stay exact in the tail.
struct LatencyRecorder: Sendable {
    private var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)

    mutating func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let micros = max(0, seconds) * 1_000_000 + attoseconds / 1_000_000_000_000
        histogram.record(UInt64(min(micros, 3_600_000_000)))
    }

    var count: UInt64 { histogram.totalCount }

    func percentile(_ p: Double) -> Int64 {
        count == 0 ? 0 : Int64(histogram.valueAtPercentile(p))
    }

    var mean: Int64 { count == 0 ? 0 : Int64(histogram.mean.rounded()) }
}
