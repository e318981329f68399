/// How a connection ended, as seen by this side.
public enum QUICCloseReason: Sendable, Hashable, CustomStringConvertible {
    /// An application closed the connection with a code and a reason phrase.
    /// `byPeer` tells whether the peer or this side sent the close.
    case application(code: UInt64, reason: String, byPeer: Bool)
    /// The QUIC layer closed the connection with a transport error code
    /// (RFC 9000, section 20.1; 0x100 + n is TLS alert n).
    case transport(code: UInt64, reason: String, byPeer: Bool)
    /// Nothing was received for the negotiated idle timeout.
    case idleTimeout
    /// The handshake did not finish within the handshake timeout.
    case handshakeTimeout
    /// The handshake failed on this side (certificate, ALPN, TLS).
    case handshakeFailed(String)
    /// The peer sent a stateless reset: it no longer knows this connection.
    case statelessReset
    /// The local endpoint was closed.
    case endpointClosed

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .application(let code, let reason, let byPeer):
            return "\(byPeer ? "peer" : "local") application close, code \(code)\(reason.isEmpty ? "" : ": \(reason)")"
        case .transport(let code, let reason, let byPeer):
            return "\(byPeer ? "peer" : "local") transport close, code 0x\(String(code, radix: 16))\(reason.isEmpty ? "" : ": \(reason)")"
        case .idleTimeout:
            return "idle timeout"
        case .handshakeTimeout:
            return "handshake timeout"
        case .handshakeFailed(let why):
            return "handshake failed: \(why)"
        case .statelessReset:
            return "stateless reset from peer"
        case .endpointClosed:
            return "endpoint closed"
        }
    }
}
