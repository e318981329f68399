/// Why a client's session ended.
public enum DisconnectReason: Sendable, Hashable, CustomStringConvertible {
    /// The client closed its connection (with its application code).
    case closedByClient(code: UInt64)
    /// The server evicted it after the heartbeat timeout (code 3).
    case heartbeatTimeout
    /// A newer session with the same id replaced it (code 2).
    case superseded
    /// The server is stopping (code 7).
    case serverStopping
    /// The QUIC connection ended otherwise (idle timeout, reset, error).
    case connectionLost(String)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .closedByClient(let code): return "closed by the client (code \(code))"
        case .heartbeatTimeout: return "heartbeat timeout"
        case .superseded: return "superseded by a newer session"
        case .serverStopping: return "server stopping"
        case .connectionLost(let why): return "connection lost: \(why)"
        }
    }
}
