/// The cluster's notification channels. A channel name is database-wide
/// and at most 63 bytes: `qf.SCHEMA.NODE` keeps clusters in two schemas of
/// one database apart (node ids are at most 32 bytes, schemas 20).
public enum ClusterChannel {
    /// The start of every node channel of the cluster in `schema`.
    public static func prefix(schema: String?) -> String {
        "qf.\(schema ?? "public")."
    }

    /// The channel every node of the cluster in `schema` hears (broadcasts).
    /// No node channel can be it: theirs end in `.NODE`.
    public static func all(schema: String?) -> String {
        "qf.\(schema ?? "public")"
    }

    /// The channel on which `nodeID` hears about work for it.
    public static func node(_ nodeID: String, schema: String?) -> String {
        prefix(schema: schema) + nodeID
    }
}
