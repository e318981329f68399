/// Where a ``BackboneClient`` is in its life (PROTOCOL.md's ClientState).
public enum ClientConnectionState: String, Sendable, Hashable {
    /// Not connected and not trying.
    case idle
    /// Dialling, registering, or waiting to reconnect.
    case connecting
    /// Registered with the server.
    case connected
}
