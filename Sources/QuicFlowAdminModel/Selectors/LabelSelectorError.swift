/// Why a label selector, key or value was refused, and where.
public struct LabelSelectorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, with what would be right.
    public let message: String
    /// The text that was refused.
    public let text: String
    /// Where the problem starts: a 0-based offset in `text`'s characters.
    public let position: Int

    /// An error at `position` of `text`.
    public init(_ message: String, in text: String, at position: Int) {
        self.message = message
        self.text = text
        self.position = position
    }

    /// The message, the text, and a caret under the position.
    public var description: String {
        let caret = String(repeating: " ", count: position) + "^"
        return "bad label selector at position \(position + 1): \(message)\n  \(text)\n  \(caret)"
    }
}
