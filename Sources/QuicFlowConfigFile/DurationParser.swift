/// Reads and writes the durations of the configuration file: a whole number
/// followed by one unit, `ms`, `s`, `m`, `h` or `d` ("500ms", "15s", "5m",
/// "2h", "7d").
///
/// Combinations such as "1h30m", fractions and spaces are not accepted, so
/// that every value has exactly one spelling.
package enum DurationParser {
    /// What an error message offers as the accepted forms.
    package static let acceptedForms = "use forms like 500ms, 15s, 5m, 2h, 7d"

    /// The units, longest suffix first so that "ms" is tried before "m" and "s".
    private static let units: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1),
        ("s", 1_000),
        ("m", 60_000),
        ("h", 3_600_000),
        ("d", 86_400_000),
    ]

    /// Parses `text` such as "15s" into a duration.
    ///
    /// Zero ("0s") parses; whether zero is allowed is up to the caller.
    /// - Throws: ``ConfigurationError`` saying what was
    ///   given and which forms are accepted.
    package static func parse(_ text: String) throws(ConfigurationError) -> Duration {
        for unit in units where text.hasSuffix(unit.suffix) {
            // Text can end in a unit by accident ("5xs"); only digits before it count.
            let digits = text.dropLast(unit.suffix.count)
            guard WholeNumber.isDigits(digits) else { continue }
            // Overflow would silently wrap into a nonsense (or negative) duration.
            guard let count = Int64(digits),
                case (let milliseconds, false) = count.multipliedReportingOverflow(by: unit.milliseconds)
            else {
                throw ConfigurationError("\(Quoted(text)) is too long a duration; \(acceptedForms)")
            }
            return .milliseconds(milliseconds)
        }
        throw ConfigurationError("\(Quoted(text)) is not a duration; \(acceptedForms)")
    }

    /// Writes `duration` in the largest unit that expresses it exactly
    /// ("90s" rather than "1.5m"; "1500ms" rather than "1.5s"), so that
    /// `parse(format(d)) == d` for every positive whole number of milliseconds.
    ///
    /// Other durations (negative, or finer than a millisecond) are written
    /// with Swift's own description, which ``parse(_:)`` rejects.
    package static func format(_ duration: Duration) -> String {
        if duration == .zero { return "0s" }
        let (seconds, attoseconds) = duration.components
        let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
        let (wholeMilliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000)
        guard duration > .zero, !overflow, attoseconds % attosecondsPerMillisecond == 0 else {
            return "\(duration)"
        }
        let total = wholeMilliseconds + attoseconds / attosecondsPerMillisecond
        for unit in units.reversed() where total % unit.milliseconds == 0 {
            return "\(total / unit.milliseconds)\(unit.suffix)"
        }
        return "\(total)ms"
    }
}
