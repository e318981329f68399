import NIOCore
public import QUICTransport
public import QuicFlowProtocol

/// A hand-driven client speaking the wire protocol directly over
/// QUICTransport, for tests that need to do what BackboneClient never
/// would (repeat a msg_id, skip registration, never read).
public struct RawClient: Sendable {
    /// The client's own endpoint.
    public let endpoint: QUICEndpoint
    /// The connection to the server.
    public let connection: QUICConnection

    /// Connects to a server on loopback `port` that `caFile` vouches for;
    /// `settings` can make it a stingy peer (a stream limit of one).
    public static func connect(port: Int, caFile: String, settings: QUICSettings = QUICSettings()) async throws -> RawClient {
        let endpoint = try await QUICEndpoint.client(
            configuration: QUICEndpointConfiguration(
                tls: .client(trustRoots: .file(caFile), applicationProtocols: ["quic-backbone-v1"]), settings: settings))
        let connection = try await endpoint.connect(host: "127.0.0.1", port: port, serverName: "localhost")
        return RawClient(endpoint: endpoint, connection: connection)
    }

    /// Sends one frame on a new stream and returns the reply frame, if any.
    public func exchange(_ frame: Frame) async throws -> Frame? {
        let stream = try await connection.openStream()
        try await stream.write(try FrameEncoder().encode(frame), finish: true)
        var decoder = FrameDecoder()
        while let chunk = try await stream.read() { try decoder.feed(chunk) }
        return try decoder.finish()
    }

    /// Registers as `clientID` (PING) and returns the server's reply.
    public func register(_ clientID: String) async throws -> Frame? {
        try await exchange(try Frame.ping(clientID: clientID))
    }

    /// Closes the connection and the endpoint.
    public func close() async {
        await connection.close()
        await endpoint.close()
    }
}
