/// The label-selector grammar, Kubernetes':
///
///     selector    := "" | requirement ("," requirement)*
///     requirement := "!" KEY
///                  | KEY [ ("=" | "==" | "!=") VALUE | ("in" | "notin") "(" VALUE ("," VALUE)* ")" ]
///
/// with blanks allowed between tokens. Keys and values are checked by
/// ``LabelSyntax``; every error carries the position it starts at.
struct LabelSelectorParser {
    private let text: String
    private let characters: [Character]
    private var index = 0

    init(_ text: String) {
        self.text = text
        characters = Array(text)
    }

    mutating func parse() throws(LabelSelectorError) -> [LabelRequirement] {
        skipBlanks()
        if atEnd { return [] }
        var requirements: [LabelRequirement] = []
        while true {
            requirements.append(try requirement())
            skipBlanks()
            if atEnd { return requirements }
            guard peek() == "," else {
                throw fail("unexpected '\(token)'; expected ',' and another requirement, or the end")
            }
            index += 1
            skipBlanks()
            if atEnd { throw fail("expected a requirement after ','") }
        }
    }

    private mutating func requirement() throws(LabelSelectorError) -> LabelRequirement {
        if peek() == "!", peek(1) != "=" {
            index += 1
            let key = try self.key()
            skipBlanks()
            guard atEnd || peek() == "," else {
                throw fail("'!\(key)' selects the devices without that label; only ',' or the end may follow it")
            }
            return LabelRequirement(key: key, operator: .doesNotExist)
        }
        let key = try self.key()
        skipBlanks()
        if atEnd || peek() == "," { return LabelRequirement(key: key, operator: .exists) }
        if peek() == "!", peek(1) == "=" {
            index += 2
            return LabelRequirement(key: key, operator: .notEquals(try value()))
        }
        if peek() == "=" {
            index += peek(1) == "=" ? 2 : 1
            return LabelRequirement(key: key, operator: .equals(try value()))
        }
        let start = index
        switch word() {
        case "in": return LabelRequirement(key: key, operator: .in(try values(after: "in")))
        case "notin": return LabelRequirement(key: key, operator: .notIn(try values(after: "notin")))
        default:
            index = start
            throw fail("unexpected '\(token)' after label key '\(key)'; expected =, ==, !=, in, notin, ',' or the end")
        }
    }

    private mutating func key() throws(LabelSelectorError) -> String {
        try requiredWord("expected a label key", atEnd: "expected a label key at the end", check: LabelSyntax.keyProblem)
    }

    /// The next word, which must be there and pass `check` (a
    /// ``LabelSyntax`` rule); `expected` says what should have been there.
    private mutating func requiredWord(
        _ expected: String, atEnd end: String, check: (String) -> String?
    ) throws(LabelSelectorError) -> String {
        skipBlanks()
        let start = index
        let found = word()
        guard !found.isEmpty else { throw fail(atEnd ? end : "\(expected), found '\(token)'") }
        if let problem = check(found) { throw fail(problem, at: start) }
        return found
    }

    /// A value after `=`, `==` or `!=`; it may be empty (`site=`).
    private mutating func value() throws(LabelSelectorError) -> String {
        skipBlanks()
        let start = index
        let value = word()
        if let problem = LabelSyntax.valueProblem(value) { throw fail(problem, at: start) }
        return value
    }

    private mutating func values(after keyword: String) throws(LabelSelectorError) -> Set<String> {
        skipBlanks()
        guard peek() == "(" else {
            throw fail("expected '(' after '\(keyword)', as in 'env \(keyword) (prod,stage)'")
        }
        index += 1
        var values: Set<String> = []
        while true {
            values.insert(try requiredWord(
                "expected a value", atEnd: "missing ')' to close the values of '\(keyword)'", check: LabelSyntax.valueProblem))
            skipBlanks()
            switch peek() {
            case ",": index += 1
            case ")":
                index += 1
                return values
            case nil: throw fail("missing ')' to close the values of '\(keyword)'")
            default: throw fail("unexpected '\(token)' in the values of '\(keyword)'; expected ',' or ')'")
            }
        }
    }

    // MARK: - Characters

    private var atEnd: Bool { index >= characters.count }

    private func peek(_ ahead: Int = 0) -> Character? {
        index + ahead < characters.count ? characters[index + ahead] : nil
    }

    private mutating func skipBlanks() {
        while let character = peek(), character.isWhitespace { index += 1 }
    }

    /// Everything up to a blank or one of `,()!=` (checked afterwards, so
    /// that a bad character gets a message about the key or value it is in).
    private mutating func word() -> String {
        let start = index
        while let character = peek(), !character.isWhitespace, !",()!=".contains(character) { index += 1 }
        return String(characters[start..<index])
    }

    /// What stands at the current position, for messages: a word, or one character.
    private var token: String {
        var copy = self
        let word = copy.word()
        if !word.isEmpty { return word }
        return peek().map { String($0) } ?? "the end"
    }

    private func fail(_ message: String, at position: Int? = nil) -> LabelSelectorError {
        LabelSelectorError(message, in: text, at: position ?? index)
    }
}
