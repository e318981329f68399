package import TOMLKit

/// One table of the configuration file, read key by key with the checks
/// every key needs: the right TOML type, a valid value, and no unknown keys.
///
/// A getter that finds a problem reports it, naming the key with its table
/// ("outbox.max_age"), and returns `nil`, so the caller falls back to the
/// default and goes on to find the file's other problems. A table that is
/// absent from the file reads as empty.
package struct ConfigurationTable {
    /// The TOML table; `nil` when the file has no such table.
    package let table: TOMLTable?
    /// The table's dotted name ("handlers.command"); empty for the top level.
    package let name: String
    /// Where problems go.
    package let problems: ConfigurationProblems

    /// A table of a parsed file, reporting into `problems`.
    package init(table: TOMLTable?, name: String, problems: ConfigurationProblems) {
        self.table = table
        self.name = name
        self.problems = problems
    }

    /// The full name of `key` in this table, as problems show it.
    package func fullName(_ key: String) -> String {
        let part = Self.isBareKey(key) ? key : "\(Quoted(key))"
        return name.isEmpty ? part : "\(name).\(part)"
    }

    /// Whether the file sets `key` in this table.
    package func contains(_ key: String) -> Bool {
        table?[key] != nil
    }

    /// Records a problem with `key` of this table.
    package func report(_ key: String, _ text: String) {
        problems.report(fullName(key), text)
    }

    // MARK: - Tables

    /// The table at `key`; an empty one when it is absent or not a table
    /// (which is reported).
    package func subtable(_ key: String) -> ConfigurationTable {
        let value = self.value(key, expected: "a table") { $0.table }
        return ConfigurationTable(table: value, name: fullName(key), problems: problems)
    }

    /// The keys this table holds, in the order TOMLKit lists them.
    package var keys: [String] {
        table?.keys ?? []
    }

    /// Reports every key of this table that is not in `known`, suggesting
    /// the nearest known one when it looks like a typo.
    /// - Parameter kind: what the entries are ("key", "table"), for the message.
    package func rejectUnknownKeys(known: [String], kind: String = "key") {
        for key in keys where !known.contains(key) {
            if let suggestion = Self.nearest(to: key, in: known) {
                report(key, "unknown \(kind); did you mean \(suggestion)?")
            } else {
                let list = known.sorted().joined(separator: ", ")
                report(key, "unknown \(kind); the known \(kind)s here are \(list)")
            }
        }
    }

    // MARK: - Values

    /// A string; with `nonEmpty`, an empty one is a problem.
    package func string(_ key: String, nonEmpty: Bool = true) -> String? {
        guard let text = value(key, expected: "a string", { $0.string }) else { return nil }
        if nonEmpty && text.isEmpty {
            report(key, "must not be empty")
            return nil
        }
        return text
    }

    /// An absolute path (starting with "/").
    package func absolutePath(_ key: String, what: String) -> String? {
        guard let path = string(key) else { return nil }
        guard path.hasPrefix("/") else {
            report(key, "\(Quoted(path)) is not an absolute path; give the full path of \(what), starting with /")
            return nil
        }
        return path
    }

    /// `true` or `false`.
    package func bool(_ key: String) -> Bool? {
        value(key, expected: "true or false") { $0.bool }
    }

    /// An integer of at least `minimum`.
    package func integer(_ key: String, atLeast minimum: Int) -> Int? {
        guard let number = value(key, expected: "an integer", { $0.int }) else { return nil }
        guard number >= minimum else {
            report(key, "must be at least \(minimum), got \(number)")
            return nil
        }
        return number
    }

    /// A number, integer or floating-point, that `check` accepts;
    /// `check` returns what is wrong, or `nil`.
    package func number(_ key: String, _ check: (Double) -> String?) -> Double? {
        let number = value(key, expected: "a number") { value in
            value.double ?? value.int.map(Double.init)
        }
        guard let number else { return nil }
        if let problem = check(number) {
            report(key, problem)
            return nil
        }
        return number
    }

    /// A positive duration string such as "15s"; `example` (the key's
    /// default) shows the form when the value is not a string at all.
    package func duration(_ key: String, example: Duration) -> Duration? {
        let expected = "a duration string such as \(Quoted(DurationParser.format(example)))"
        guard let text = value(key, expected: expected, { $0.string }) else { return nil }
        let duration: Duration
        do {
            duration = try DurationParser.parse(text)
        } catch {
            report(key, error.message)
            return nil
        }
        guard duration > .zero else {
            report(key, "must be a positive duration, got \(Quoted(text))")
            return nil
        }
        return duration
    }

    /// A positive size: a string such as "1MiB", or an integer number of bytes.
    package func byteSize(_ key: String, example: Int) -> Int? {
        guard let value = table?[key] else { return nil }
        let size: Int
        if let number = value.int {
            size = number
        } else if let text = value.string {
            do {
                size = try ByteSizeParser.parse(text)
            } catch {
                report(key, error.message)
                return nil
            }
        } else {
            let example = Quoted(ByteSizeParser.format(example))
            report(key, "expected a size such as \(example) or a number of bytes, got \(Self.describe(value))")
            return nil
        }
        guard size > 0 else {
            report(key, "must be a positive size, got \(Self.describe(value))")
            return nil
        }
        return size
    }

    /// An array of strings; each element that is not a string is reported
    /// by its index ("handlers.command.args[2]").
    package func strings(_ key: String) -> [String]? {
        guard let array = value(key, expected: "an array of strings", { $0.array }) else { return nil }
        var result: [String] = []
        var valid = true
        for (index, element) in array.enumerated() {
            if let text = element.string {
                result.append(text)
            } else {
                problems.report("\(fullName(key))[\(index)]", "expected a string, got \(Self.describe(element))")
                valid = false
            }
        }
        return valid ? result : nil
    }

    /// Reports a problem with element `index` of the array at `key`
    /// ("server.address[1]: ...").
    package func report(_ key: String, index: Int, _ text: String) {
        problems.report("\(fullName(key))[\(index)]", text)
    }

    /// A string, or an array of strings (`address = "a"` or
    /// `address = ["a", "b"]`); always an array.
    package func stringOrStrings(_ key: String) -> [String]? {
        guard let value = table?[key] else { return nil }
        if let text = value.string { return [text] }
        guard value.array != nil else {
            report(key, "expected a string or an array of strings, got \(Self.describe(value))")
            return nil
        }
        return strings(key)
    }

    /// A table of strings ("env"); each value that is not a string, and
    /// each name that cannot be an environment variable, is reported.
    package func stringTable(_ key: String) -> [String: String]? {
        let entries = subtable(key)
        guard entries.table != nil else { return nil }
        var result: [String: String] = [:]
        var valid = true
        for name in entries.keys {
            // The kernel splits "NAME=value" at the first "=", and a NUL ends it.
            if name.isEmpty || name.contains("=") || name.utf8.contains(0) {
                entries.report(name, "is not a valid environment variable name")
                valid = false
            } else if let text = entries.string(name, nonEmpty: false) {
                result[name] = text
            } else {
                valid = false
            }
        }
        return valid ? result : nil
    }

    // MARK: - Helpers

    /// The value at `key` converted by `convert`; when the conversion fails,
    /// reports "expected `expected`, got ..." and returns `nil`.
    private func value<T>(
        _ key: String, expected: String, _ convert: (any TOMLValueConvertible) -> T?
    ) -> T? {
        guard let value = table?[key] else { return nil }
        guard let converted = convert(value) else {
            report(key, "expected \(expected), got \(Self.describe(value))")
            return nil
        }
        return converted
    }

    /// A TOML value as a problem shows it: its type, and the value itself
    /// when it is short ("integer 15", "string \"15\"").
    package static func describe(_ value: any TOMLValueConvertible) -> String {
        switch value.type {
        case .string: "string \(Quoted(value.string ?? ""))"
        case .int: "integer \(value.int.map { "\($0)" } ?? "")"
        case .double: "floating-point number \(value.double.map { "\($0)" } ?? "")"
        case .bool: "boolean \(value.bool == true ? "true" : "false")"
        case .array: "an array"
        case .table: "a table"
        case .date, .time, .dateTime: "\(value.type) \(value.tomlValue.debugDescription)"
        }
    }

    /// Whether TOML can write `key` unquoted (A-Z, a-z, 0-9, "_", "-").
    private static func isBareKey(_ key: String) -> Bool {
        !key.isEmpty
            && key.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default:
                    false
                }
            }
    }

    /// The entry of `known` closest to `key`, if it is close enough (at
    /// most two edits, and fewer than half of the key) to be a typo of it.
    private static func nearest(to key: String, in known: [String]) -> String? {
        let limit = min(2, (key.count - 1) / 2)
        let scored = known.map { ($0, editDistance(key, $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= limit else { return nil }
        return best.0
    }

    /// Levenshtein distance between two short strings.
    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
