import NIOCore
import QUICTransport

/// The server's mutable view of a session.
struct SessionRecord {
    let session: ClientSession
    var lastSeen: ContinuousClock.Instant
    var lastHeartbeat: Int64
    /// Why the server ended it, if the server did.
    var endedBy: DisconnectReason?

    func info() -> ClientInfo {
        ClientInfo(
            clientID: session.clientID, remoteAddress: session.connection.remoteAddress,
            connectedAt: session.connectedAt, lastHeartbeat: lastHeartbeat)
    }
}
