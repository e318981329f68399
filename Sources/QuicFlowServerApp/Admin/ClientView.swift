import Hummingbird
import NIOCore
import QuicFlow

/// A connected client, as `GET /v1/clients` shows it.
struct ClientView: ResponseEncodable, Decodable, Sendable {
    let clientID: String
    let remoteAddress: String
    /// Unix milliseconds.
    let connectedAt: Int64
    /// Unix milliseconds of the last PING.
    let lastHeartbeat: Int64

    enum CodingKeys: String, CodingKey {
        case clientID = "client_id"
        case remoteAddress = "remote_address"
        case connectedAt = "connected_at"
        case lastHeartbeat = "last_heartbeat"
    }

    init(_ info: ClientInfo) {
        clientID = info.clientID
        let ip = info.remoteAddress.ipAddress ?? "\(info.remoteAddress)"
        let host = ip.contains(":") ? "[\(ip)]" : ip
        remoteAddress = info.remoteAddress.port.map { "\(host):\($0)" } ?? host
        connectedAt = info.connectedAt
        lastHeartbeat = info.lastHeartbeat
    }
}
