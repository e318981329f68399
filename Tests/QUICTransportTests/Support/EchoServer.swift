import NIOCore
import QUICTransport

/// A QUIC server that echoes every stream back and finishes it after the
/// peer's FIN; it records the connections it accepted.
final class EchoServer: Sendable {
    let endpoint: QUICEndpoint
    private let task: Task<Void, Never>
    let accepted: AsyncStream<QUICConnection>

    var port: Int { endpoint.localAddress.port! }

    init(host: String = "127.0.0.1", port: Int = 0, configuration: QUICEndpointConfiguration, keepAccepted: Bool = true) async throws {
        let endpoint = try await QUICEndpoint.server(host: host, port: port, configuration: configuration)
        let (accepted, continuation) = AsyncStream.makeStream(of: QUICConnection.self)
        self.endpoint = endpoint
        self.accepted = accepted
        task = Task {
            await withDiscardingTaskGroup { group in
                for await connection in endpoint.incomingConnections {
                    if keepAccepted { continuation.yield(connection) }
                    group.addTask {
                        await withDiscardingTaskGroup { streams in
                            for await stream in connection.inboundStreams {
                                streams.addTask { try? await Self.echo(stream) }
                            }
                        }
                    }
                }
            }
            continuation.finish()
        }
    }

    static func echo(_ stream: QUICStream) async throws {
        for try await chunk in stream.inbound {
            try await stream.write(chunk)
        }
        try await stream.finish()
    }

    func close() async {
        await endpoint.close()
        await task.value
    }
}

/// Writes `bytes` on a new stream, finishes it, and reads the reply to FIN.
func exchange(_ connection: QUICConnection, _ bytes: [UInt8], maxReply: Int = 64 << 20) async throws -> [UInt8] {
    let stream = try await connection.openStream()
    async let reply = stream.readAll(maxBytes: maxReply)
    try await stream.write(ByteBuffer(bytes: bytes), finish: true)
    return Array(buffer: try await reply)
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
