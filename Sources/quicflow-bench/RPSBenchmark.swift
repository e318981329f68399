import ArgumentParser
import QuicFlow

/// `rps`: N connections × M messages in flight.
struct RPSBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rps", abstract: "N connections × M WaitAck messages in flight: messages/s, p50/p99.")

    @Option(help: "Client connections.") var connections = 4
    @Option(help: "Messages in flight per connection.") var inFlight = 32
    @Option(help: "Seconds to run (after a 1 s warm-up).") var seconds = 5.0
    @Option(help: "Payload bytes.") var payload = 64

    func run() async throws {
        let backbone = try await BenchBackbone()
        var clients: [BackboneClient] = []
        for index in 0..<connections { clients.append(try await backbone.connectedClient("rps-\(index)")) }
        let body = [UInt8](repeating: 0x61, count: payload)
        let clock = ContinuousClock()
        let warmEnd = clock.now + .seconds(1)
        let end = warmEnd + .milliseconds(Int64(seconds * 1_000))
        let samples = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for client in clients {
                for _ in 0..<inFlight {
                    group.addTask {
                        var latencies: [UInt64] = []
                        latencies.reserveCapacity(100_000)
                        while true {
                            let sent = clock.now
                            if sent >= end { break }
                            _ = try await client.send(Message(type: .event, payload: body, waitAck: true))
                            if sent >= warmEnd { latencies.append(LatencySample.microseconds(clock.now - sent)) }
                        }
                        return latencies
                    }
                }
            }
            var all: [UInt64] = []
            for try await latencies in group { all += latencies }
            return all
        }
        var sample = LatencySample()
        for value in samples { sample.record(microseconds: value) }
        BenchOutput.report([BenchmarkResult(workload: "rps", values: [
            ("connections", Double(connections)), ("in_flight", Double(inFlight)),
            ("msgs_per_s", Double(samples.count) / seconds), ("p50_us", sample.percentile(50)),
            ("p99_us", sample.percentile(99)),
        ])])
        for client in clients { await client.disconnect() }
        await backbone.close()
    }
}
