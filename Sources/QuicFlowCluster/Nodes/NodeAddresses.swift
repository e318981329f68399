/// Where the other nodes and operators reach a node.
public struct NodeAddresses: Sendable, Hashable {
    /// Its admin API, `http://HOST:PORT`.
    public var admin: String
    /// Its QUIC address, `HOST:PORT`.
    public var backbone: String

    /// Creates the addresses.
    public init(admin: String, backbone: String) {
        self.admin = admin
        self.backbone = backbone
    }
}
