/// The text form of `key=value` lines (logs, `quicflowctl events`): one
/// record is always one line, whatever its values hold.
public enum TextLine {
    /// `text` with backslashes, newlines, carriage returns and tabs escaped
    /// (`\\`, `\n`, `\r`, `\t`).
    public static func escaped(_ text: String) -> String {
        guard text.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\t" || $0 == "\\" }) else { return text }
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\r\n": out += "\\r\\n"
            default: out.append(character)
            }
        }
        return out
    }

    /// A value as it follows `key=`: escaped, and in double quotes when
    /// empty or holding a blank, a quote or `=`.
    public static func value(_ text: String) -> String {
        let escaped = escaped(text)
        guard escaped.isEmpty || escaped.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) else { return escaped }
        return "\"" + escaped.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\\\"") + "\""
    }
}
