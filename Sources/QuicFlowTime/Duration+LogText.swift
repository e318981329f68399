extension Duration {
    /// The duration rounded to the millisecond, for logs and messages:
    /// `990ms`, `1.5s`, `2m3.25s`, never `0.9901035935387801 seconds`.
    public var logText: String {
        let milliseconds = Int64((Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15).rounded())
        if milliseconds < 1_000 { return "\(milliseconds)ms" }
        let seconds = milliseconds / 1_000
        let fraction = milliseconds % 1_000
        var text = fraction == 0 ? "" : "." + String(String(1_000 + fraction).dropFirst()).replacing(#/0+$/#, with: "")
        text = "\(seconds % 60)\(text)s"
        return seconds >= 60 ? "\(seconds / 60)m\(text)" : text
    }
}
