/// What a label key and a label value may be: Kubernetes' rules, which
/// operators already know. A key is a name of at most 63 characters
/// (letters, digits, `-`, `_` and `.`, starting and ending with a letter or
/// digit), optionally after a DNS-subdomain prefix and `/`
/// (`example.com/site`). A value is empty or such a name.
public enum LabelSyntax {
    /// Why `key` is not a label key, or `nil` when it is one.
    public static func keyProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { return "a label key has at most one '/' (PREFIX/NAME), '\(key)' has \(parts.count - 1)" }
        if parts.count == 2 {
            let prefix = parts[0]
            guard !prefix.isEmpty, prefix.count <= 253 else {
                return "the prefix of label key '\(key)' must be 1 to 253 characters (a DNS subdomain such as example.com)"
            }
            guard prefix.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") }),
                  prefix.first.map(isAlphanumeric) == true, prefix.last.map(isAlphanumeric) == true
            else {
                return "the prefix of label key '\(key)' must be a DNS subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
            }
        }
        guard let name = parts.last, !name.isEmpty else { return "a label key needs a name" }
        return nameProblem(String(name), what: "label key '\(key)'")
    }

    /// Why `value` is not a label value, or `nil` when it is one.
    public static func valueProblem(_ value: String) -> String? {
        value.isEmpty ? nil : nameProblem(value, what: "label value '\(value)'")
    }

    private static func nameProblem(_ name: String, what: String) -> String? {
        guard name.count <= 63 else { return "\(what) is \(name.count) characters long; at most 63" }
        guard name.allSatisfy({ isAlphanumeric($0) || $0 == "-" || $0 == "_" || $0 == "." }) else {
            return "\(what) may hold only letters, digits, '-', '_' and '.'"
        }
        guard name.first.map(isAlphanumeric) == true, name.last.map(isAlphanumeric) == true else {
            return "\(what) must start and end with a letter or digit"
        }
        return nil
    }

    static func isAlphanumeric(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber)
    }
}
