import NIOCore

/// The proxy's state for one client address: its upstream-facing socket and any datagrams held
/// back for reordering. Confined to the proxy's event loop.
final class FaultProxyFlow {
    /// A batch held back for reordering, and the timer that releases it if nothing overtakes it.
    typealias Held = (datagrams: [ByteBuffer], release: Scheduled<Void>)

    /// Where replies for this client go.
    let clientAddress: SocketAddress

    /// The socket the server sees as this client; `nil` until the first bind completes.
    var upstreamChannel: (any Channel)?

    /// Client datagrams that are due for delivery while the first upstream socket is still binding.
    var pendingToServer: [ByteBuffer] = []

    /// Set once the proxy has given up on this flow; nothing more is delivered for it.
    var isClosed = false

    private var heldToServer: Held?
    private var heldToClient: Held?

    init(clientAddress: SocketAddress) {
        self.clientAddress = clientAddress
    }

    /// Removes and returns the batch held back in `direction`, if any.
    func takeHeld(_ direction: FaultProxyDirection) -> Held? {
        switch direction {
        case .clientToServer:
            defer { self.heldToServer = nil }
            return self.heldToServer
        case .serverToClient:
            defer { self.heldToClient = nil }
            return self.heldToClient
        }
    }

    /// Holds back `held` in `direction`; the caller has checked that nothing is held there yet.
    func hold(_ held: Held, _ direction: FaultProxyDirection) {
        switch direction {
        case .clientToServer:
            assert(self.heldToServer == nil)
            self.heldToServer = held
        case .serverToClient:
            assert(self.heldToClient == nil)
            self.heldToClient = held
        }
    }
}

@available(*, unavailable)
extension FaultProxyFlow: Sendable {}
