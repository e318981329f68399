import Foundation

/// The admin bearer token's file, read the same way by `quicflow-server`
/// and `quicflowctl`: the first line, without surrounding whitespace (a
/// CRLF line end included), refused when empty or when it holds a character
/// an HTTP header cannot carry. Each side words the advice for its user.
public enum AdminTokenFile {
    /// Why a token file cannot be used.
    public enum Problem: Error, Sendable, Hashable {
        /// The file cannot be read (missing, or not readable by this user).
        case unreadable
        /// Its first line is empty.
        case empty
        /// The token holds `scalar` (not visible ASCII) at 1-based `position`.
        case unsendable(scalar: UInt32, position: Int)

        /// What is wrong, naming `file`, without advice.
        public func description(file: String) -> String {
            switch self {
            case .unreadable: "cannot read the admin token file \(file)"
            case .empty: "the admin token file \(file) is empty"
            case .unsendable(let scalar, let position):
                "the admin token in \(file) holds character U+\(String(scalar, radix: 16, uppercase: true)) at position \(position), which an HTTP header cannot carry"
            }
        }
    }

    /// The token in `file`.
    public static func read(_ file: String) -> Result<String, Problem> {
        guard let data = FileManager.default.contents(atPath: file) else { return .failure(.unreadable) }
        // By Character: "\r\n" is one Character, which a split on "\n" misses.
        let firstLine = String(decoding: data, as: UTF8.self)
            .split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).first ?? ""
        let token = firstLine.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { return .failure(.empty) }
        // The token travels in an Authorization header: visible ASCII only.
        if let index = token.unicodeScalars.firstIndex(where: { !(0x21...0x7E).contains($0.value) }) {
            let position = token.unicodeScalars.distance(from: token.unicodeScalars.startIndex, to: index) + 1
            return .failure(.unsendable(scalar: token.unicodeScalars[index].value, position: position))
        }
        return .success(token)
    }
}
