/// Every problem found in one configuration file, so that a user fixes
/// them all in one round instead of meeting them one at a time.
///
/// A class because every ``ConfigurationTable`` of the file reports into
/// the same list.
package final class ConfigurationProblems {
    /// One line per problem, each starting with the key it is about.
    package private(set) var lines: [String] = []

    /// An empty list.
    package init() {}

    /// A list of lines already in `key: text` form, to report together.
    package init(lines: [String]) {
        self.lines = lines
    }

    /// Records that `key` (its full dotted name) is wrong: `key: text`.
    package func report(_ key: String, _ text: String) {
        lines.append("\(key): \(text)")
    }

    /// The error that lists every problem on its own line, after a heading
    /// that names the file (when known); `nil` when there is none.
    package func error(path: String?) -> ConfigurationError? {
        guard !lines.isEmpty else { return nil }
        let source = path ?? "the configuration"
        let count = lines.count == 1 ? "1 problem" : "\(lines.count) problems"
        let body = lines.map { "  " + $0 }.joined(separator: "\n")
        return ConfigurationError("\(source) has \(count):\n\(body)")
    }
}
