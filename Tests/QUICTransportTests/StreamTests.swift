import Crypto
import NIOCore
import QUICTransport
import Synchronization
import QUICTestSupport
import Testing

@testable import QUICTransport

@Suite("Streams")
struct StreamTests {
    @Test("1,000 concurrent streams on one connection")
    func thousandStreams() async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(configuration: pki.serverConfiguration())
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let connection = try await client.connect(host: "127.0.0.1", port: server.port, serverName: "localhost")
        let mismatches = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<1_000 {
                group.addTask {
                    let message = Array("stream message \(i) ".utf8) + [UInt8](repeating: UInt8(i % 251), count: 100)
                    return try await exchange(connection, message) != message
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(mismatches == 0)
        await client.close()
        await server.close()
    }

    @Test("a 4 MiB transfer arrives intact (SHA-256)")
    func fourMiB() async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(configuration: pki.serverConfiguration())
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let connection = try await client.connect(host: "127.0.0.1", port: server.port, serverName: "localhost")
        var generator = SystemRandomNumberGenerator()
        let payload = (0..<(4 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let reply = try await exchange(connection, payload)
        #expect(reply.count == payload.count)
        #expect(SHA256.hash(data: reply) == SHA256.hash(data: payload))
        await client.close()
        await server.close()
    }

    @Test("back-pressure: a peer that does not read blocks the writer at its window")
    func backPressure() async throws {
        let pki = try TestPKI()
        let window = 64 * 1024
        var serverSettings = QUICSettings()
        serverSettings.initialStreamWindow = window
        serverSettings.maxStreamWindow = window
        let serverEndpoint = try await QUICEndpoint.server(
            host: "127.0.0.1", port: 0, configuration: pki.serverConfiguration(settings: serverSettings))
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let connection = try await client.connect(host: "127.0.0.1", port: serverEndpoint.localAddress.port!, serverName: "localhost")
        var incoming = serverEndpoint.incomingConnections.makeAsyncIterator()
        let serverConnection = try #require(await incoming.next())

        let stream = try await connection.openStream()
        let chunk = 256 * 1024
        let total = 8 << 20
        let accepted = Atomic<Int>(0)
        let writer = Task {
            var offset = 0
            while offset < total {
                let bytes = (0..<chunk).map { UInt8(truncatingIfNeeded: (offset + $0) % 253) }
                try await stream.write(ByteBuffer(bytes: bytes))
                offset += chunk
                accepted.store(offset, ordering: .relaxed)
            }
            try await stream.finish()
        }

        var streams = serverConnection.inboundStreams.makeAsyncIterator()
        let serverStream = try #require(await streams.next())
        try await eventually("the writer to be blocked by flow control") {
            try await stream.bufferState().flowBlocked
        }
        let sender = try await stream.bufferState()
        let receiver = try await serverStream.bufferState()
        let lowWatermark = QUICSettings().writeBufferLowWatermark
        #expect(sender.sentOffset <= UInt64(window))
        #expect(sender.unsentBytes + sender.inflightBytes <= window + chunk + lowWatermark)
        #expect(accepted.load(ordering: .relaxed) <= window + chunk + lowWatermark)
        #expect(receiver.receivedBytes <= window)

        // Reading releases the writer; every byte arrives in order.
        var received = 0
        var corrupt = 0
        for try await var data in serverStream.inbound {
            for byte in data.readBytes(length: data.readableBytes)! {
                if byte != UInt8(truncatingIfNeeded: received % 253) { corrupt += 1 }
                received += 1
            }
        }
        try await writer.value
        #expect(received == total)
        #expect(corrupt == 0)
        await client.close()
        await serverEndpoint.close()
    }

    @Test("reset and stop-sending surface as errors carrying the code")
    func resetAndStopSending() async throws {
        let pki = try TestPKI()
        let serverEndpoint = try await QUICEndpoint.server(host: "127.0.0.1", port: 0, configuration: pki.serverConfiguration())
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let connection = try await client.connect(host: "127.0.0.1", port: serverEndpoint.localAddress.port!, serverName: "localhost")
        var incoming = serverEndpoint.incomingConnections.makeAsyncIterator()
        let serverConnection = try #require(await incoming.next())
        var inbound = serverConnection.inboundStreams.makeAsyncIterator()

        // Reset: the reader sees the peer's code.
        let resetStream = try await connection.openStream()
        try await resetStream.write(ByteBuffer(string: "partial"))
        let serverReset = try #require(await inbound.next())
        await resetStream.reset(errorCode: 77)
        let resetError = await #expect(throws: QUICError.self) {
            while try await serverReset.read() != nil {}
        }
        #expect(resetError?.code == .streamReset)
        #expect(resetError?.applicationErrorCode == 77)

        // Stop-sending: the writer sees the peer's code.
        let stopped = try await connection.openStream()
        try await stopped.write(ByteBuffer(string: "start"))
        let serverStopped = try #require(await inbound.next())
        await serverStopped.stopSending(errorCode: 9)
        let stopError = await #expect(throws: QUICError.self) {
            while true { try await stopped.write(ByteBuffer(repeating: 1, count: 64 * 1024)) }
        }
        // ngtcp2 0.12.1 resets the stream itself and keeps STOP_SENDING's code internal.
        #expect(stopError?.code == .stopSending)

        // The connection is still fine.
        let fine = try await connection.openStream()
        try await fine.write(ByteBuffer(string: "still here"), finish: true)
        let serverFine = try #require(await inbound.next())
        #expect(String(buffer: try await serverFine.readAll(maxBytes: 100)) == "still here")
        await client.close()
        await serverEndpoint.close()
    }

    @Test("many client connections share one endpoint")
    func sharedClientEndpoint() async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(configuration: pki.serverConfiguration(), keepAccepted: false)
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let port = server.port
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<50 {
                group.addTask {
                    let connection = try await client.connect(host: "127.0.0.1", port: port, serverName: "localhost")
                    let message = Array("connection \(i)".utf8)
                    #expect(try await exchange(connection, message) == message)
                }
            }
            try await group.waitForAll()
        }
        #expect(try await client.statistics().connections == 50)
        await client.close()
        await server.close()
    }
}

@Suite("Stream limits")
struct StreamLimitTests {
    @Test("opening past the peer's concurrent stream limit waits until a stream closes")
    func concurrentStreamLimit() async throws {
        let pki = try TestPKI()
        var settings = QUICSettings()
        settings.maxConcurrentBidirectionalStreams = 5
        let serverEndpoint = try await QUICEndpoint.server(
            host: "127.0.0.1", port: 0, configuration: pki.serverConfiguration(settings: settings))
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let connection = try await client.connect(
            host: "127.0.0.1", port: serverEndpoint.localAddress.port!, serverName: "localhost")
        var incoming = serverEndpoint.incomingConnections.makeAsyncIterator()
        let serverConnection = try #require(await incoming.next())

        var open: [QUICStream] = []
        for _ in 0..<5 {
            let stream = try await connection.openStream()
            try await stream.write(ByteBuffer(string: "x"))
            open.append(stream)
        }
        let sixth = Task { try await connection.openStream() }
        // The server sees exactly five streams; the sixth open is pending.
        var inbound = serverConnection.inboundStreams.makeAsyncIterator()
        var serverStreams: [QUICStream] = []
        for _ in 0..<5 { serverStreams.append(try #require(await inbound.next())) }
        try await eventually("the sixth open to wait for the peer's limit") {
            await connection.pendingStreamOpens() == 1
        }
        #expect(await connection.statistics()?.openStreams == 5)

        // Completing one stream in both directions frees a slot.
        try await open[0].finish()
        _ = try await serverStreams[0].readAll(maxBytes: 10)
        try await serverStreams[0].finish()
        _ = try await open[0].readAll(maxBytes: 10)
        let stream = try await sixth.value
        try await stream.write(ByteBuffer(string: "sixth"), finish: true)
        let serverSixth = try #require(await inbound.next())
        #expect(String(buffer: try await serverSixth.readAll(maxBytes: 10)) == "sixth")
        await client.close()
        await serverEndpoint.close()
    }
}
