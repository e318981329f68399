import QuicFlowAdminModel

/// Reads the admin bearer token from its file.
public enum AdminToken {
    /// The file's first line without surrounding whitespace (a CRLF line
    /// end included); refuses a token an HTTP header cannot carry.
    /// - Throws: ``AdminClientError`` (`token`) naming the file.
    public static func read(file: String) throws(AdminClientError) -> String {
        switch AdminTokenFile.read(file) {
        case .success(let token):
            return token
        case .failure(let problem):
            let advice = switch problem {
            case .unreadable: "check the path and that this user may read it"
            case .empty: "its first line must be the server's admin token"
            case .unsendable: "copy the server's token file as it is"
            }
            throw AdminClientError(.token, "\(problem.description(file: file)); \(advice)")
        }
    }
}
