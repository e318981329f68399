import QuicFlowAdminModel

/// One fuzz input, as UTF-8 text, through the label-selector parser, with
/// the properties that must hold for any text: no crash; a refusal points
/// inside the text (or just past its end); a selector that parses prints a
/// canonical form that parses back to the same selector and prints the same.
enum SelectorFuzzCase {
    static func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            let selector = try LabelSelector(parsing: text)
            let canonical = selector.description
            guard let again = try? LabelSelector(parsing: canonical) else {
                preconditionFailure("the canonical form '\(canonical)' of '\(text)' does not parse")
            }
            precondition(again == selector, "'\(canonical)' parses to another selector than '\(text)'")
            precondition(again.description == canonical, "the canonical form is not stable: '\(canonical)'")
        } catch {
            precondition(error.position >= 0 && error.position <= text.count, "position \(error.position) outside '\(text)'")
            precondition(!error.message.isEmpty, "an error without a message for '\(text)'")
        }
    }
}
