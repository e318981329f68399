import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import QUICTransport

/// The `transport` workload: raw QUICTransport over loopback, no QuicFlow
/// protocol on top. Bulk throughput on one stream, then stream round trips.
struct TransportBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport",
        abstract: "Bulk MB/s on one stream and stream round trips per second.")

    @Option(name: .customLong("bulk-mib"), help: "Bytes to send in the bulk run, in MiB.")
    var bulkMiB = 256

    @Option(name: .customLong("write-kib"), help: "Size of each write in the bulk run, in KiB.")
    var writeKiB = 64

    @Option(help: "Sequential stream round trips to time.")
    var roundTrips = 20_000

    @Option(help: "Bytes sent (and echoed) per round trip.")
    var roundTripBytes = 64

    func run() async throws {
        let files = try BenchCertificates.make(prefix: "quicflow-bench")
        let directory = files.directory
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let alpn = ["quic-backbone-v1"]
        let server = try await QUICEndpoint.server(
            host: "127.0.0.1", port: 0,
            configuration: QUICEndpointConfiguration(
                tls: .server(certificateChainFile: files.certificateFile, privateKeyFile: files.keyFile,
                             applicationProtocols: alpn)))
        let serverTask = Task { await Self.serve(server) }
        let client = try await QUICEndpoint.client(
            configuration: QUICEndpointConfiguration(tls: .client(trustRoots: .file(files.caFile), applicationProtocols: alpn)))
        let connection = try await client.connect(host: "127.0.0.1", port: server.localAddress.port!, serverName: "localhost")

        var results: [BenchmarkResult] = []
        results.append(try await bulk(connection))
        results.append(try await roundTrip(connection))
        for result in results { print(result.jsonLine) }
        print("")
        print(BenchmarkResult.table(results))

        await connection.close()
        await client.close()
        await server.close()
        serverTask.cancel()
    }

    /// Streams that start with "B" are drained and answered with the byte
    /// count; every other stream is echoed.
    static func serve(_ server: QUICEndpoint) async {
        await withDiscardingTaskGroup { group in
            for await connection in server.incomingConnections {
                group.addTask {
                    await withDiscardingTaskGroup { streams in
                        for await stream in connection.inboundStreams {
                            streams.addTask { try? await handle(stream) }
                        }
                    }
                }
            }
        }
    }

    static func handle(_ stream: QUICStream) async throws {
        guard var first = try await stream.read() else { return try await stream.finish() }
        if first.getInteger(at: first.readerIndex, as: UInt8.self) == UInt8(ascii: "B") {
            var total = first.readableBytes
            while let chunk = try await stream.read() { total += chunk.readableBytes }
            try await stream.write(ByteBuffer(string: "\(total)"), finish: true)
        } else {
            try await stream.write(first)
            while let chunk = try await stream.read() { try await stream.write(chunk) }
            try await stream.finish()
            _ = first.readBytes(length: 0)
        }
    }

    func bulk(_ connection: QUICConnection) async throws -> BenchmarkResult {
        let total = bulkMiB << 20
        let write = writeKiB << 10
        var chunk = ByteBuffer(repeating: 0x42, count: write)
        chunk.setInteger(UInt8(ascii: "B"), at: 0)
        let stream = try await connection.openStream()
        let clock = ContinuousClock()
        let start = clock.now
        var sent = 0
        while sent < total {
            try await stream.write(chunk)
            sent += write
        }
        try await stream.finish()
        let reply = String(buffer: try await stream.readAll(maxBytes: 64))
        let elapsed = clock.now - start
        guard Int(reply) == sent else {
            throw ValidationError("the server counted \(reply) bytes, expected \(sent)")
        }
        let seconds = elapsed.seconds
        return BenchmarkResult(
            workload: "transport.bulk",
            values: [("bytes", Double(sent)), ("seconds", seconds), ("MB_per_s", Double(sent) / seconds / 1e6)])
    }

    func roundTrip(_ connection: QUICConnection) async throws -> BenchmarkResult {
        let payload = ByteBuffer(repeating: 0x52, count: roundTripBytes)
        let clock = ContinuousClock()
        var samples: [Double] = []
        samples.reserveCapacity(roundTrips)
        // Warm up the connection (congestion window, allocator) first.
        for _ in 0..<min(500, roundTrips) { try await once(connection, payload) }
        let start = clock.now
        for _ in 0..<roundTrips {
            let t0 = clock.now
            try await once(connection, payload)
            samples.append((clock.now - t0).seconds * 1e6)
        }
        let elapsed = (clock.now - start).seconds
        samples.sort()
        func percentile(_ p: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
        return BenchmarkResult(
            workload: "transport.stream_rtt",
            values: [
                ("round_trips", Double(roundTrips)), ("per_second", Double(roundTrips) / elapsed),
                ("p50_us", percentile(0.50)), ("p99_us", percentile(0.99)), ("p999_us", percentile(0.999)),
            ])
    }

    private func once(_ connection: QUICConnection, _ payload: ByteBuffer) async throws {
        let stream = try await connection.openStream()
        try await stream.write(payload, finish: true)
        let echo = try await stream.readAll(maxBytes: payload.readableBytes)
        guard echo.readableBytes == payload.readableBytes else {
            throw ValidationError("echo of \(echo.readableBytes) bytes, expected \(payload.readableBytes)")
        }
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
