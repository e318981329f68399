import NIOCore

extension TimeAmount {
    /// `duration` in nanoseconds, saturating instead of trapping for
    /// durations beyond 292 years (an "infinite" timeout).
    init(saturating duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !nanoseconds.overflow else {
            self = .nanoseconds(seconds < 0 ? .min : .max)
            return
        }
        let total = nanoseconds.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000)
        self = .nanoseconds(total.overflow ? .max : total.partialValue)
    }
}
