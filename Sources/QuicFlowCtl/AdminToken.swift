import Foundation

/// Reads the admin bearer token from its file.
public enum AdminToken {
    /// The file's first line without surrounding whitespace.
    /// - Throws: ``AdminClientError`` (`token`) naming the file.
    public static func read(file: String) throws(AdminClientError) -> String {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw AdminClientError(.token, "cannot read the token file \(file); check the path and that this user may read it")
        }
        let firstLine = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
        let token = firstLine.trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty else {
            throw AdminClientError(.token, "the token file \(file) is empty; its first line must be the server's admin token")
        }
        return token
    }
}
