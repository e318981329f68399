public import Foundation

/// The one way QuicFlow writes a time in JSON: RFC 3339 in UTC with
/// milliseconds, `2026-11-28T23:51:14.123Z`. Every `--json` output and the
/// admin API use it, so a script parses one shape everywhere.
public enum JSONTime {
    /// `unixMillis` (milliseconds since 1970) as RFC 3339 text.
    public static func string(unixMillis: Int64) -> String {
        // Whole seconds by the formatter, milliseconds by hand: a Date holds
        // a binary fraction, and the formatter truncates .123 to .122.
        let (seconds, millis) = unixMillis.quotientAndRemainder(dividingBy: 1_000)
        let whole = seconds - (millis < 0 ? 1 : 0)
        let fraction = millis < 0 ? millis + 1_000 : millis
        let text = Date(timeIntervalSince1970: Double(whole)).formatted(wholeSeconds)
        return String(text.dropLast()) + "." + String(String(1_000 + fraction).dropFirst()) + "Z"
    }

    /// `date` as RFC 3339 text, rounded to the millisecond.
    public static func string(from date: Date) -> String {
        string(unixMillis: Int64((date.timeIntervalSince1970 * 1_000).rounded()))
    }

    /// Reads RFC 3339 text with or without fractional seconds; `nil` when
    /// `text` is not one.
    public static func date(from text: String) -> Date? {
        if let date = try? style.parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }

    /// Milliseconds since 1970 of RFC 3339 `text`; `nil` when it is not one.
    public static func unixMillis(from text: String) -> Int64? {
        date(from: text).map { Int64(($0.timeIntervalSince1970 * 1_000).rounded()) }
    }

    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
    private static let wholeSeconds = Date.ISO8601FormatStyle(timeZone: .gmt)
}
