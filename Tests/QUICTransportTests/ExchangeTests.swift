import Crypto
import NIOCore
import QUICTestSupport
import QUICTransport
import Testing

/// Collects a stream's bytes; refuses more than `limit`, with code 77.
private struct Collector: QUICStreamReader {
    var limit = Int.max
    var bytes: [UInt8] = []
    var chunks = 0
    var violationErrorCode: UInt64 { 77 }

    mutating func consume(_ buffer: ByteBuffer) throws -> [UInt8]? {
        guard bytes.count + buffer.readableBytes <= limit else {
            throw TestFailure("more than \(limit) bytes")
        }
        bytes += buffer.readableBytesView
        chunks += 1
        return nil
    }

    mutating func finish() throws -> [UInt8] { bytes }
}

/// A server that accepts connections and their streams and never answers.
private struct SilentServer {
    let endpoint: QUICEndpoint
    let connections: AsyncStream<QUICConnection>

    init(_ pki: TestPKI) async throws {
        endpoint = try await QUICEndpoint.server(host: "127.0.0.1", port: 0, configuration: pki.serverConfiguration())
        connections = endpoint.incomingConnections
    }

    /// A new client endpoint connected here: its connection and the server's side of it.
    func connectClient(_ pki: TestPKI) async throws -> (client: QUICEndpoint, connection: QUICConnection, accepted: QUICConnection) {
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let connection = try await client.connect(host: "127.0.0.1", port: endpoint.localAddress.port!, serverName: "localhost")
        var incoming = connections.makeAsyncIterator()
        let accepted = try #require(await incoming.next())
        return (client, connection, accepted)
    }
}

@Suite("Stream exchanges on the event loop", .timeLimit(.minutes(1)))
struct ExchangeTests {
    @Test("an exchange returns the reader's output, a 1 MiB answer intact across many chunks")
    func answered() async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(configuration: pki.serverConfiguration())
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let connection = try await client.connect(host: "127.0.0.1", port: server.port, serverName: "localhost")

        let small = try await connection.exchange(
            sending: ByteBuffer(string: "hello"), readingWith: Collector(), timeout: .seconds(10))
        #expect(small == Array("hello".utf8))

        var generator = SystemRandomNumberGenerator()
        let payload = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let big = try await connection.exchange(
            sending: ByteBuffer(bytes: payload), readingWith: Collector(), timeout: .seconds(30))
        #expect(SHA256.hash(data: big) == SHA256.hash(data: payload))
        #expect(try #require(await connection.statistics()).openStreams == 0)
        await client.close()
        await server.close()
    }

    @Test("no answer within the timeout: timedOut, and the stream is released on both sides")
    func timeout() async throws {
        let pki = try TestPKI()
        let server = try await SilentServer(pki)
        let (client, connection, serverConnection) = try await server.connectClient(pki)
        let streams = Task {
            var streams: [QUICStream] = []
            for await stream in serverConnection.inboundStreams { streams.append(stream) }
            return streams.count
        }

        let started = ContinuousClock.now
        let error = await #expect(throws: QUICError.self) {
            try await connection.exchange(
                sending: ByteBuffer(string: "anyone?"), readingWith: Collector(), timeout: .milliseconds(200),
                abandonErrorCode: 9)
        }
        #expect(error?.code == .timedOut)
        #expect(ContinuousClock.now - started >= .milliseconds(200))
        // The server holds the stream (it got the request and FIN) until the
        // client's STOP_SENDING and RESET_STREAM close it.
        try await eventually("the abandoned stream to close on both sides") {
            let serverOpen = await serverConnection.statistics()?.openStreams
            let clientOpen = await connection.statistics()?.openStreams
            return serverOpen == 0 && clientOpen == 0
        }
        await client.close()
        await server.endpoint.close()
        #expect(await streams.value == 1)
    }

    @Test("a reader that refuses the answer gets its error back and the stream is reset")
    func readerRefuses() async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(configuration: pki.serverConfiguration())
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let connection = try await client.connect(host: "127.0.0.1", port: server.port, serverName: "localhost")
        let error = await #expect(throws: TestFailure.self) {
            try await connection.exchange(
                sending: ByteBuffer(repeating: 1, count: 10_000), readingWith: Collector(limit: 100),
                timeout: .seconds(10))
        }
        #expect(error?.description == "more than 100 bytes")
        try await eventually("the refused stream to close") {
            await connection.statistics()?.openStreams == 0
        }
        // The connection is still good for the next exchange.
        let next = try await connection.exchange(
            sending: ByteBuffer(string: "again"), readingWith: Collector(), timeout: .seconds(10))
        #expect(next == Array("again".utf8))
        await client.close()
        await server.close()
    }

    @Test("a cancelled exchange throws CancellationError and releases its stream")
    func cancelled() async throws {
        let pki = try TestPKI()
        let server = try await SilentServer(pki)
        let (client, connection, serverConnection) = try await server.connectClient(pki)
        let (arrived, arrival) = AsyncStream.makeStream(of: QUICStream.self)
        let accept = Task {
            for await stream in serverConnection.inboundStreams { arrival.yield(stream) }
        }
        let exchange = Task {
            try await connection.exchange(
                sending: ByteBuffer(string: "wait"), readingWith: Collector(), timeout: .seconds(60))
        }
        var arrivals = arrived.makeAsyncIterator()
        let serverStream = try #require(await arrivals.next())
        exchange.cancel()
        await #expect(throws: CancellationError.self) { try await exchange.value }
        try await eventually("the cancelled stream to close on both sides") {
            let serverOpen = await serverConnection.statistics()?.openStreams
            let clientOpen = await connection.statistics()?.openStreams
            return serverOpen == 0 && clientOpen == 0
        }
        _ = serverStream
        await client.close()
        await server.endpoint.close()
        accept.cancel()
    }

    @Test("read(using:) on an inbound stream: the whole request at once; a refusal resets the sender's stream")
    func inboundRead() async throws {
        let pki = try TestPKI()
        let server = try await SilentServer(pki)
        let (client, connection, serverConnection) = try await server.connectClient(pki)
        var inbound = serverConnection.inboundStreams.makeAsyncIterator()

        let accepted = try await connection.openStream()
        // More than the stream window: the write completes only as the reader reads.
        let sent = Task { try await accepted.write(ByteBuffer(repeating: 7, count: 300_000), finish: true) }
        let first = try #require(await inbound.next())
        let bytes = try await first.read(using: Collector())
        #expect(bytes.count == 300_000 && bytes.allSatisfy { $0 == 7 })
        try await sent.value

        let refused = try await connection.openStream()
        let writer = Task { try await refused.write(ByteBuffer(repeating: 8, count: 300_000), finish: true) }
        let second = try #require(await inbound.next())
        await #expect(throws: TestFailure.self) { try await second.read(using: Collector(limit: 1_000)) }
        // The sender learns of it: its stream is reset (code 77) or stopped.
        let error = await #expect(throws: QUICError.self) { try await refused.read() }
        #expect(error?.applicationErrorCode == 77)
        _ = try? await writer.value
        await client.close()
        await server.endpoint.close()
    }
}
