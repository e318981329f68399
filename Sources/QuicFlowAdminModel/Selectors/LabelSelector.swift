/// A set of devices named by their labels, in Kubernetes label-selector
/// syntax: `site=berlin,role!=gateway`, `env in (prod,stage)`, `!canary`,
/// `tier`. Every requirement must hold (the commas are "and"); the empty
/// selector selects every device.
///
/// One parser for the server and `quicflowctl`; a bad selector is refused
/// with a ``LabelSelectorError`` that points at the position of the problem.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    /// The requirements, in the order written.
    public var requirements: [LabelRequirement]

    /// A selector of `requirements`.
    public init(requirements: [LabelRequirement]) {
        self.requirements = requirements
    }

    /// Parses `text`.
    /// - Throws: ``LabelSelectorError`` with the position of the problem.
    public init(parsing text: String) throws(LabelSelectorError) {
        var parser = LabelSelectorParser(text)
        requirements = try parser.parse()
    }

    /// Whether a device with `labels` is selected.
    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { $0.matches(labels) }
    }

    /// The selector in its canonical syntax, which parses back to the same selector.
    public var description: String {
        requirements.map(\.text).joined(separator: ",")
    }
}

extension LabelSelector: Codable {
    /// Decodes the selector's text, refusing a bad one with where it is wrong.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    /// Encodes the canonical text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
