public import QuicFlow
public import QuicFlowHooks
public import QuicFlowTime

/// The checked settings a ``ServerApp`` runs with.
public struct ServerAppConfiguration: Sendable {
    /// The QUIC backbone.
    public var backbone: ServerConfiguration
    /// The admin HTTP API.
    public var admin: AdminConfiguration
    /// Where `messages.sqlite` lives; `nil` keeps message states in memory,
    /// so queued messages do not survive a restart.
    public var dataDirectory: String?
    /// The executable run for each message from a client, if any.
    public var messageHook: HandlerConfiguration?
    /// How a queued message whose delivery failed (the device dropped, did
    /// not answer) waits before the next try: `[delivery]`.
    public var deliveryBackoff: Backoff
    /// Cluster mode: the state in PostgreSQL, shared with the other nodes;
    /// `nil` runs a single server on SQLite.
    public var cluster: ClusterConfiguration?

    /// `[delivery]`'s defaults: 1 s doubling to 60 s, ±20%.
    public static let defaultDeliveryBackoff = Backoff(initial: .seconds(1), maximum: .seconds(60), jitter: 0.2)

    /// Groups the settings.
    public init(
        backbone: ServerConfiguration, admin: AdminConfiguration, dataDirectory: String? = nil,
        messageHook: HandlerConfiguration? = nil, deliveryBackoff: Backoff = Self.defaultDeliveryBackoff,
        cluster: ClusterConfiguration? = nil
    ) {
        self.cluster = cluster
        self.backbone = backbone
        self.admin = admin
        self.dataDirectory = dataDirectory
        self.messageHook = messageHook
        self.deliveryBackoff = deliveryBackoff
    }
}
