import QuicFlow
import QuicFlowAdminModel
import QuicFlowJSON

extension ConnectedClient {
    /// The admin API's view of a registered session.
    init(_ info: ClientInfo) {
        self.init(
            clientID: info.clientID, remoteAddress: info.remoteAddress.hostPort,
            connectedAt: JSONTime.string(unixMillis: info.connectedAt),
            lastHeartbeat: JSONTime.string(unixMillis: info.lastHeartbeat))
    }

    /// The admin API's view of a cluster's directory entry.
    init(_ presence: ClientPresence) {
        self.init(
            clientID: presence.clientID, remoteAddress: presence.remoteAddress,
            connectedAt: JSONTime.string(unixMillis: presence.connectedAt),
            lastHeartbeat: JSONTime.string(unixMillis: presence.lastHeartbeat), node: presence.node)
    }
}
