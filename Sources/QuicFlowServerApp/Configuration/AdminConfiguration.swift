import Foundation
import QuicFlowAdminModel

/// The admin HTTP API's listener and its bearer token.
public struct AdminConfiguration: Sendable, Hashable {
    /// Address the admin API listens on; loopback by default.
    public var host: String
    /// Port of the admin API (0 picks a free one).
    public var port: Int
    /// The bearer token every route but `/healthz` requires; `nil` leaves
    /// the API open, which is only allowed on a loopback listener.
    public var token: String?

    /// Checks the combination: a listener reachable from other machines
    /// must have a token.
    /// - Throws: ``ServerAppError`` (`invalidConfiguration`) otherwise.
    public init(host: String = "127.0.0.1", port: Int = 8475, token: String? = nil) throws(ServerAppError) {
        guard (0...65_535).contains(port) else {
            throw ServerAppError(.invalidConfiguration, "admin port \(port) is out of range; use 1 to 65535 (0 picks a free one)")
        }
        if token == nil && !Self.isLoopback(host) {
            throw ServerAppError(.invalidConfiguration, "the admin API on \(host) would be reachable from other machines without a token; give --admin-token-file, or listen on 127.0.0.1")
        }
        if let token, token.isEmpty {
            throw ServerAppError(.invalidConfiguration, "the admin token is empty; put a long random string in the token file")
        }
        self.host = host
        self.port = port
        self.token = token
    }

    /// Reads a token file: its first line, without surrounding whitespace
    /// (a CRLF line end included).
    /// - Throws: ``ServerAppError`` (`unreadableFile`) naming the file, or
    ///   (`invalidConfiguration`) when the token is empty or holds a
    ///   character an HTTP header cannot carry.
    public static func readToken(file: String) throws(ServerAppError) -> String {
        switch AdminTokenFile.read(file) {
        case .success(let token):
            return token
        case .failure(.unreadable):
            throw ServerAppError(.unreadableFile, "\(AdminTokenFile.Problem.unreadable.description(file: file)); check that it exists and is readable by this user")
        case .failure(let problem):
            let advice = problem == .empty
                ? "its first line must be the token (for example: head -c 32 /dev/urandom | base64 > \(file))"
                : "use printable ASCII without spaces (base64, for example)"
            throw ServerAppError(.invalidConfiguration, "\(problem.description(file: file)); \(advice)")
        }
    }

    /// Whether `host` names only this machine.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
