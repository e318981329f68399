/// Checks the digits of a configuration value by hand: `Int64(_:)` alone
/// would also take a sign ("+5", "-5"), which no duration or size may have.
package enum WholeNumber {
    /// Whether `text` is one or more ASCII digits.
    package static func isDigits(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
