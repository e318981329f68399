import Hummingbird
import NIOCore
import QuicFlow
import QuicFlowJSON

/// A connected client, as `GET /v1/clients` shows it.
struct ClientView: ResponseEncodable, Decodable, Sendable {
    let clientID: String
    let remoteAddress: String
    /// RFC 3339 with milliseconds (``JSONTime``).
    let connectedAt: String
    /// When the last PING came, RFC 3339 with milliseconds.
    let lastHeartbeat: String

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id"
        case remoteAddress = "remote_address"
        case connectedAt = "connected_at"
        case lastHeartbeat = "last_heartbeat"
    }

    init(_ info: ClientInfo) {
        clientID = info.clientID
        remoteAddress = info.remoteAddress.hostPort
        connectedAt = JSONTime.string(unixMillis: info.connectedAt)
        lastHeartbeat = JSONTime.string(unixMillis: info.lastHeartbeat)
    }
}
