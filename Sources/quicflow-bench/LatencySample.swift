import Histogram

/// Latencies of one workload in microseconds (HDR histogram, 3 digits).
struct LatencySample {
    private(set) var histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)

    mutating func record(_ duration: Duration) {
        _ = histogram.record(Self.microseconds(duration))
    }

    mutating func record(microseconds: UInt64) {
        _ = histogram.record(max(1, microseconds))
    }

    var count: UInt64 { histogram.totalCount }

    func percentile(_ percent: Double) -> Double {
        Double(histogram.valueAtPercentile(percent))
    }

    static func microseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(1, seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
    }
}
