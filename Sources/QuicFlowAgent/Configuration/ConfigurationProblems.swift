/// Every problem found in one configuration file, so that a user fixes
/// them all in one round instead of meeting them one at a time.
///
/// A class because every ``ConfigurationTable`` of the file reports into
/// the same list.
final class ConfigurationProblems {
    /// One line per problem, each starting with the key it is about.
    private(set) var lines: [String] = []

    /// Records that `key` (its full dotted name) is wrong: `key: text`.
    func report(_ key: String, _ text: String) {
        lines.append("\(key): \(text)")
    }

    /// The error that lists every problem on its own line, after a heading
    /// that names the file (when known); `nil` when there is none.
    func error(path: String?) -> AgentError? {
        guard !lines.isEmpty else { return nil }
        let source = path ?? "the configuration"
        let count = lines.count == 1 ? "1 problem" : "\(lines.count) problems"
        let body = lines.map { "  " + $0 }.joined(separator: "\n")
        return AgentError(.invalidConfiguration, "\(source) has \(count):\n\(body)")
    }
}
