/// Host names reserved for documentation (RFC 2606, RFC 6761): `example.com`,
/// `example.net`, `example.org` and names under `.example` or `.invalid`.
/// A configuration that still names one holds a placeholder nobody replaced.
enum ExampleHost {
    private static let domains = ["example.com", "example.net", "example.org", "example", "invalid"]

    /// Whether `host` is one of those names or below one.
    static func isPlaceholder(_ host: String) -> Bool {
        let name = host.lowercased().trimmingSuffix(".")
        return domains.contains { name == $0 || name.hasSuffix("." + $0) }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
