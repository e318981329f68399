import Foundation

/// Where the cluster's PostgreSQL is: `postgres://USER@HOST:PORT/DB`.
/// A password never travels in the URL (it would show in `ps` and in shell
/// history): it comes from ``ClusterPassword``.
public struct ClusterDatabaseURL: Sendable, Hashable, CustomStringConvertible {
    /// The role to log in as.
    public var user: String
    /// The server's host name or address.
    public var host: String
    /// The server's TCP port.
    public var port: Int
    /// The database.
    public var database: String

    /// Creates a URL from its parts.
    public init(user: String, host: String, port: Int = 5432, database: String) {
        self.user = user
        self.host = host
        self.port = port
        self.database = database
    }

    /// Parses `postgres://USER@HOST[:PORT]/DB` (or `postgresql://`).
    /// - Throws: ``ClusterError`` (`invalidConfiguration`) naming what is
    ///   wrong and how the URL should look.
    public init(parsing text: String) throws(ClusterError) {
        let shape = "write it as postgres://USER@HOST:PORT/DATABASE"
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            throw ClusterError(.invalidConfiguration, "the cluster database '\(text)' is not a URL; \(shape)")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw ClusterError(.invalidConfiguration, "the cluster database URL has the scheme '\(scheme)'; \(shape)")
        }
        guard components.password == nil else {
            throw ClusterError(.invalidConfiguration, "the cluster database URL carries a password, which would show in process lists and logs; remove it and give it with [cluster] password_file, PGPASSWORD or ~/.pgpass")
        }
        guard let user = components.user, !user.isEmpty else {
            throw ClusterError(.invalidConfiguration, "the cluster database URL '\(text)' names no user; \(shape)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw ClusterError(.invalidConfiguration, "the cluster database URL '\(text)' names no host; \(shape)")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw ClusterError(.invalidConfiguration, "the cluster database URL '\(text)' names no database (or more than one path part); \(shape)")
        }
        if let items = components.queryItems, !items.isEmpty {
            throw ClusterError(.invalidConfiguration, "the cluster database URL has options (\(items.map(\.name).joined(separator: ", "))) that quicflow-server does not read; \(shape)")
        }
        let port = components.port ?? 5432
        guard (1...65_535).contains(port) else {
            throw ClusterError(.invalidConfiguration, "the cluster database URL's port \(port) is not a TCP port (1 to 65535)")
        }
        self.init(user: user, host: host, port: port, database: database)
    }

    /// The URL as written, with no password.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }
}
