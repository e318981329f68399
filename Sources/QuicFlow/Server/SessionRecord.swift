import NIOCore
import QUICTransport

/// The server's mutable view of a session in its ``SessionTable``.
struct SessionRecord {
    let session: ClientSession
    /// When anything was last heard, on the server's injected clock.
    var lastSeen: Duration
    /// The same, in Unix milliseconds, for ``ClientInfo``.
    var lastHeartbeat: Int64
    /// Why the server ended it, if the server did.
    var endedBy: DisconnectReason?
    /// Whether, and with which epoch, the ``ClientDirectory`` has it.
    var presence: SessionPresence = .recording(notice: nil)

    func info() -> ClientInfo {
        ClientInfo(
            clientID: session.clientID, remoteAddress: session.connection.remoteAddress,
            connectedAt: session.connectedAt, lastHeartbeat: lastHeartbeat)
    }
}
