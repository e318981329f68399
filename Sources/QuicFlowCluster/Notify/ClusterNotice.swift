/// What one node tells another through PostgreSQL's NOTIFY. A payload
/// names rows and ids, never data: NOTIFY carries at most 8,000 bytes, and
/// every path also works by reading the tables when a notice is lost.
public enum ClusterNotice: Sendable, Hashable {
    /// Close your session of `clientID` if its epoch is below `epoch`: the
    /// device registered again on another node (`close:EPOCH:CLIENT`).
    case supersede(clientID: String, epoch: Int64)
    /// A message for a device you hold waits in `qf_message` (`deliver:MSG_ID`).
    case deliver(msgID: String)
    /// The message you routed has its outcome in `qf_message` (`done:MSG_ID`).
    case done(msgID: String)
    /// Send broadcast `id` (a `qf_broadcast` row) to your devices (`broadcast:ID`, on the all-nodes channel).
    case broadcast(id: Int64)
    /// A node wrote its count for your broadcast `id` (`tally:ID`).
    case tally(id: Int64)
    /// Events up to `id` are in `qf_event` (`events:ID`, on the all-nodes channel).
    case events(through: Int64)

    /// Parses a payload; `nil` for one this build does not know (a newer
    /// node's), which the listener logs and skips.
    public init?(payload: String) {
        let parts = payload.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        switch parts.first {
        case "close" where parts.count == 3:
            guard let epoch = Int64(parts[1]), !parts[2].isEmpty else { return nil }
            self = .supersede(clientID: String(parts[2]), epoch: epoch)
        case "deliver" where parts.count >= 2:
            let msgID = payload.dropFirst("deliver:".count)
            guard !msgID.isEmpty else { return nil }
            self = .deliver(msgID: String(msgID))
        case "broadcast" where parts.count == 2:
            guard let id = Int64(parts[1]) else { return nil }
            self = .broadcast(id: id)
        case "tally" where parts.count == 2:
            guard let id = Int64(parts[1]) else { return nil }
            self = .tally(id: id)
        case "events" where parts.count == 2:
            guard let id = Int64(parts[1]) else { return nil }
            self = .events(through: id)
        case "done" where parts.count >= 2:
            let msgID = payload.dropFirst("done:".count)
            guard !msgID.isEmpty else { return nil }
            self = .done(msgID: String(msgID))
        default:
            return nil
        }
    }

    /// The payload.
    public var payload: String {
        switch self {
        case .supersede(let clientID, let epoch): "close:\(epoch):\(clientID)"
        case .deliver(let msgID): "deliver:\(msgID)"
        case .done(let msgID): "done:\(msgID)"
        case .broadcast(let id): "broadcast:\(id)"
        case .tally(let id): "tally:\(id)"
        case .events(let id): "events:\(id)"
        }
    }
}
