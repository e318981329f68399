import Foundation

/// Reads the admin bearer token from its file.
public enum AdminToken {
    /// The file's first line without surrounding whitespace (a CRLF line
    /// end included); refuses a token an HTTP header cannot carry.
    /// - Throws: ``AdminClientError`` (`token`) naming the file.
    public static func read(file: String) throws(AdminClientError) -> String {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw AdminClientError(.token, "cannot read the token file \(file); check the path and that this user may read it")
        }
        let firstLine = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
        // A CRLF line end leaves a carriage return, which is not a "whitespace".
        let token = firstLine.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw AdminClientError(.token, "the token file \(file) is empty; its first line must be the server's admin token")
        }
        if let index = token.unicodeScalars.firstIndex(where: { !(0x21...0x7E).contains($0.value) }) {
            let position = token.unicodeScalars.distance(from: token.unicodeScalars.startIndex, to: index) + 1
            let value = token.unicodeScalars[index].value
            throw AdminClientError(.token, "the token in \(file) holds character U+\(String(value, radix: 16, uppercase: true)) at position \(position), which an HTTP header cannot carry; copy the server's token file as it is")
        }
        return token
    }
}
