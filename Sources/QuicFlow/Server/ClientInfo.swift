public import NIOCore

/// A registered client as the server sees it.
public struct ClientInfo: Sendable, Hashable {
    /// The id the client registered with.
    public let clientID: String
    /// Its current UDP address.
    public let remoteAddress: SocketAddress
    /// When it registered, in Unix milliseconds.
    public let connectedAt: Int64
    /// When anything was last heard from it, in Unix milliseconds.
    public let lastHeartbeat: Int64
}
