import ArgumentParser
import QUICTransport
import QuicFlow

/// `handshakes`: new connections per second, each counted when its
/// registration completes (PONG).
struct HandshakeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handshakes", abstract: "New connections per second, counted to the completed registration (PONG).")

    @Option(help: "Connections to make.") var connections = 4_000
    @Option(help: "Connections being set up at once.") var concurrency = 32

    func run() async throws {
        let backbone = try await BenchBackbone()
        let endpoint = try await QUICEndpoint.client(configuration: try backbone.clientConfiguration("x").endpointConfiguration)
        let clock = ContinuousClock()
        let start = clock.now
        var sample = LatencySample()
        try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for lane in 0..<concurrency {
                group.addTask {
                    var latencies: [UInt64] = []
                    for index in stride(from: lane, to: connections, by: concurrency) {
                        let begun = clock.now
                        let client = try await backbone.connectedClient("hs-\(index)", endpoint: endpoint)
                        latencies.append(LatencySample.microseconds(clock.now - begun))
                        await client.disconnect()
                    }
                    return latencies
                }
            }
            for try await latencies in group { for value in latencies { sample.record(microseconds: value) } }
        }
        let elapsed = (clock.now - start).seconds
        BenchOutput.report([BenchmarkResult(workload: "handshakes", values: [
            ("connections", Double(connections)), ("per_s", Double(connections) / elapsed),
            ("p50_us", sample.percentile(50)), ("p99_us", sample.percentile(99)),
        ])])
        await endpoint.close()
        await backbone.close()
    }
}
