extension Duration {
    /// Whole milliseconds, rounded toward zero and saturating, so that a
    /// configured "forever" (a huge duration) never traps.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000)
        if overflow {
            return seconds < 0 ? .min : .max
        }
        let (total, overflowAgain) = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        if overflowAgain {
            return seconds < 0 ? .min : .max
        }
        return total
    }

}
