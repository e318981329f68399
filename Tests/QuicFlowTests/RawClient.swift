import Foundation
import NIOCore
import QUICTransport
import QuicFlowProtocol

/// A hand-driven client speaking the wire protocol directly over
/// QUICTransport, for tests that need to do what BackboneClient never
/// would (repeat a msg_id, skip registration, never read).
struct RawClient: Sendable {
    let endpoint: QUICEndpoint
    let connection: QUICConnection

    static func connect(port: Int, caFile: String) async throws -> RawClient {
        let endpoint = try await QUICEndpoint.client(
            configuration: QUICEndpointConfiguration(tls: .client(trustRoots: .file(caFile), applicationProtocols: ["quic-backbone-v1"])))
        let connection = try await endpoint.connect(host: "127.0.0.1", port: port, serverName: "localhost")
        return RawClient(endpoint: endpoint, connection: connection)
    }

    /// Sends one frame on a new stream and returns the reply frame, if any.
    func exchange(_ frame: Frame) async throws -> Frame? {
        let stream = try await connection.openStream()
        try await stream.write(try FrameEncoder().encode(frame), finish: true)
        var decoder = FrameDecoder()
        while let chunk = try await stream.read() { try decoder.feed(chunk) }
        return try decoder.finish()
    }

    func register(_ clientID: String) async throws -> Frame? {
        try await exchange(try Frame.ping(clientID: clientID))
    }

    func close() async {
        await connection.close()
        await endpoint.close()
    }
}
