public import QuicFlowCluster

/// The checked `[cluster]` settings: run this server as one node of a
/// cluster whose state is in PostgreSQL.
public struct ClusterConfiguration: Sendable {
    /// The cluster's database.
    public var url: ClusterDatabaseURL
    /// The password, from the password file, `PGPASSWORD` or `.pgpass`.
    public var password: String?
    /// This node's name, unique in the cluster.
    public var nodeID: String
    /// How long a node's heartbeat keeps it alive (its devices, its work).
    public var lease: Duration
    /// The schema of the tables; `nil` for the database's default.
    public var schema: String?

    /// Groups the settings.
    public init(url: ClusterDatabaseURL, password: String?, nodeID: String, lease: Duration = .seconds(10), schema: String? = nil) {
        self.url = url
        self.password = password
        self.nodeID = nodeID
        self.lease = lease
        self.schema = schema
    }

    /// Whether `id` is a node id: 1 to 32 of letters, digits, `.`, `_` and
    /// `-` (it is part of a notification channel's name, at most 63 bytes).
    static func isNodeID(_ id: String) -> Bool {
        (1...32).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    /// Whether `name` is a schema name: 1 to 20 letters, digits and `_`.
    static func isSchemaName(_ name: String) -> Bool {
        (1...20).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}
