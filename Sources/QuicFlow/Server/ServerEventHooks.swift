/// Callbacks the server fires as things happen. Each runs on the server's
/// executor; keep them short and hand longer work to a task.
public struct ServerEventHooks: Sendable {
    /// A client registered.
    public var onConnect: (@Sendable (ClientInfo) -> Void)?
    /// A client's session ended.
    public var onDisconnect: (@Sendable (_ clientID: String, _ reason: DisconnectReason) -> Void)?
    /// A client was evicted for silence.
    public var onHeartbeatTimeout: (@Sendable (_ clientID: String) -> Void)?
    /// A message was handed to QUIC for a client.
    public var onMessageSent: (@Sendable (_ clientID: String, _ msgID: String) -> Void)?
    /// A message arrived from a client.
    public var onMessageReceived: (@Sendable (IncomingMessage) -> Void)?
    /// A broadcast reached this many clients.
    public var onBroadcast: (@Sendable (_ reached: Int) -> Void)?
    /// No ACK arrived in time for a message sent with waitAck.
    public var onPromiseTimeout: (@Sendable (_ clientID: String, _ msgID: String) -> Void)?
    /// Something went wrong that no caller will see (a peer's protocol violation, a failed write).
    public var onError: (@Sendable (QuicFlowError) -> Void)?

    /// No hooks.
    public init() {}
}
