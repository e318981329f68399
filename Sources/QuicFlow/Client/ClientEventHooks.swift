/// Callbacks the client fires as things happen. Keep them short.
public struct ClientEventHooks: Sendable {
    /// The client registered with the server.
    public var onConnect: (@Sendable () -> Void)?
    /// Just before ``onConnect``: which server of the list it connected to.
    public var onConnectedTo: (@Sendable (ServerEndpoint) -> Void)?
    /// The connection was lost or closed, with why.
    public var onDisconnect: (@Sendable (_ reason: String) -> Void)?
    /// A reconnect attempt starts (1, 2, …).
    public var onReconnect: (@Sendable (_ attempt: Int) -> Void)?
    /// A reconnect attempt is scheduled `delay` from now (the backoff
    /// chosen for it, jitter included), so it can be shown as "next retry".
    public var onReconnectScheduled: (@Sendable (_ attempt: Int, _ delay: Duration) -> Void)?
    /// A reconnect attempt failed, with why; another is scheduled next.
    public var onReconnectFailed: (@Sendable (_ attempt: Int, _ error: String) -> Void)?
    /// No PONG came back within the heartbeat timeout.
    public var onHeartbeatTimeout: (@Sendable () -> Void)?
    /// A message was handed to QUIC.
    public var onMessageSent: (@Sendable (_ msgID: String) -> Void)?
    /// A message arrived from the server.
    public var onMessageReceived: (@Sendable (IncomingMessage) -> Void)?
    /// No ACK arrived in time for a message sent with waitAck.
    public var onPromiseTimeout: (@Sendable (_ msgID: String) -> Void)?
    /// A handler's response could not be returned because the connection
    /// dropped before its ACK was written; keep it to report it later.
    public var onAcknowledgementLost: (@Sendable (IncomingMessage, Response) -> Void)?
    /// A message from the server was answered FAILURE "busy": every
    /// handler worker was running and the queue behind them was full.
    public var onHandlerBusy: (@Sendable (IncomingMessage) -> Void)?
    /// Something went wrong that no caller will see.
    public var onError: (@Sendable (QuicFlowError) -> Void)?

    /// No hooks.
    public init() {}
}
