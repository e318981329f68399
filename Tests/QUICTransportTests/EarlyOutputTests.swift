import NIOCore
import QUICTestSupport
import QUICTransport
import Synchronization
import Testing

/// Completes at the first newline, before FIN; refuses anything after it
/// with code 66 (a one-message-per-stream protocol in miniature).
private struct LineReader: QUICStreamReader {
    var line: [UInt8] = []
    var complete = false
    var violationErrorCode: UInt64 { 66 }

    mutating func consume(_ buffer: ByteBuffer) throws -> String? {
        for byte in buffer.readableBytesView {
            if complete { throw TestFailure("a byte after the line") }
            if byte == UInt8(ascii: "\n") {
                complete = true
            } else {
                line.append(byte)
            }
        }
        return complete && !line.isEmpty ? String(decoding: line, as: UTF8.self) : nil
    }

    mutating func finish() throws -> String {
        throw TestFailure("the stream ended before a newline")
    }
}

/// Peers that keep their send side open until they have the answer (the Go
/// QuicFlow original does this with its commands) must get one: a reader's
/// output is delivered at its last byte, not at FIN.
@Suite("Reader output before FIN", .timeLimit(.minutes(1)))
struct EarlyOutputTests {
    /// A server endpoint, a client endpoint, and one connection seen from both sides.
    static func connected() async throws -> (
        server: QUICEndpoint, client: QUICEndpoint, connection: QUICConnection, accepted: QUICConnection
    ) {
        let pki = try TestPKI()
        let server = try await QUICEndpoint.server(host: "127.0.0.1", port: 0, configuration: pki.serverConfiguration())
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let connection = try await client.connect(host: "127.0.0.1", port: server.localAddress.port!, serverName: "localhost")
        var incoming = server.incomingConnections.makeAsyncIterator()
        let accepted = try #require(await incoming.next())
        return (server, client, connection, accepted)
    }

    @Test("an inbound stream's output arrives without FIN; the answer goes back while the peer still waits")
    func inboundWithoutFIN() async throws {
        let (server, client, connection, accepted) = try await Self.connected()
        let serving = Task {
            var streams = accepted.inboundStreams.makeAsyncIterator()
            let stream = try #require(await streams.next())
            let line = try await stream.read(using: LineReader())
            try await stream.write(ByteBuffer(string: "got \(line)\n"), finish: true)
            return line
        }
        let stream = try await connection.openStream()
        try await stream.write(ByteBuffer(string: "hello\n"))  // no FIN: waits for the answer first
        let answer = try await stream.read(using: LineReader())
        #expect(answer == "got hello")
        #expect(try await serving.value == "hello")
        try await stream.finish()
        await client.close()
        await server.close()
    }

    @Test("an exchange returns at the answer's last byte although the peer never sends FIN")
    func exchangeWithoutFIN() async throws {
        let (server, client, connection, accepted) = try await Self.connected()
        let (held, hold) = AsyncStream.makeStream(of: QUICStream.self)
        let serving = Task {
            for await stream in accepted.inboundStreams {
                let line = try await stream.read(using: LineReader())
                try await stream.write(ByteBuffer(string: "re: \(line)\n"))  // and keeps its side open
                hold.yield(stream)
            }
        }
        let answer = try await connection.exchange(
            sending: ByteBuffer(string: "ping\n"), readingWith: LineReader(), timeout: .seconds(10))
        #expect(answer == "re: ping")
        var streams = held.makeAsyncIterator()
        let serverStream = try #require(await streams.next())
        try await serverStream.finish()
        try await eventually("the stream to close on both sides once FIN comes") {
            await connection.statistics()?.openStreams == 0
        }
        serving.cancel()
        await client.close()
        await server.close()
    }

    @Test("bytes after the output, arriving later, reset the stream and reach afterOutput")
    func trailingBytesAfterOutput() async throws {
        let (server, client, connection, accepted) = try await Self.connected()
        let late = Mutex<[String]>([])
        let (lines, line) = AsyncStream.makeStream(of: String.self)
        let serving = Task {
            for await stream in accepted.inboundStreams {
                let text = try await stream.read(using: LineReader()) { error in
                    late.withLock { $0.append("\(error)") }
                }
                line.yield(text)
            }
        }
        let stream = try await connection.openStream()
        try await stream.write(ByteBuffer(string: "first\n"))
        var received = lines.makeAsyncIterator()
        #expect(await received.next() == "first", "acted on before anything else came")
        try await stream.write(ByteBuffer(string: "more"))
        let error = await #expect(throws: QUICError.self) {
            while try await stream.read() != nil {}
        }
        #expect(error?.code == .streamReset)
        #expect(error?.applicationErrorCode == 66, "reset with the reader's code")
        try await eventually("afterOutput to hear of it") { late.withLock { $0 } == ["a byte after the line"] }
        serving.cancel()
        await client.close()
        await server.close()
    }

    @Test("bytes after the output in the same chunk fail the read itself, before anyone acts")
    func trailingBytesInSameChunk() async throws {
        let (server, client, connection, accepted) = try await Self.connected()
        let serving = Task {
            var streams = accepted.inboundStreams.makeAsyncIterator()
            let stream = try #require(await streams.next())
            return try await stream.read(using: LineReader())
        }
        let stream = try await connection.openStream()
        try await stream.write(ByteBuffer(string: "one\ntwo"), finish: true)
        await #expect(throws: TestFailure.self) { try await serving.value }
        await client.close()
        await server.close()
    }
}
