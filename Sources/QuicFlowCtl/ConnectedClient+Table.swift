public import QuicFlowAdminModel
import QuicFlowJSON

extension ConnectedClient {
    /// The client list as a table; ages are relative to `now` (Unix ms).
    /// A cluster's list (its entries name their node) has a NODE column.
    public static func table(_ clients: [ConnectedClient], now: Int64) -> TextTable {
        let clustered = clients.contains { $0.node != nil }
        return TextTable(
            headers: ["CLIENT"] + (clustered ? ["NODE"] : []) + ["REMOTE ADDRESS", "CONNECTED", "LAST HEARTBEAT"],
            rows: clients.sorted { $0.clientID < $1.clientID }.map { client in
                [client.clientID] + (clustered ? [client.node ?? "-"] : [])
                    + [client.remoteAddress, Self.age(since: client.connectedAt, now: now), Self.age(since: client.lastHeartbeat, now: now)]
            })
    }

    /// The age of RFC 3339 `time` at `now` (Unix ms), or the text itself
    /// when it is not a time.
    public static func age(since time: String, now: Int64) -> String {
        JSONTime.unixMillis(from: time).map { age(now - $0) } ?? time
    }

    /// "5s ago", "3m ago", "2h ago", "4d ago".
    public static func age(_ milliseconds: Int64) -> String {
        let seconds = max(0, milliseconds / 1_000)
        switch seconds {
        case ..<60: return "\(seconds)s ago"
        case ..<3_600: return "\(seconds / 60)m ago"
        case ..<86_400: return "\(seconds / 3_600)h ago"
        default: return "\(seconds / 86_400)d ago"
        }
    }
}
