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
}
