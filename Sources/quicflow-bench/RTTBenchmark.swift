import ArgumentParser
import QuicFlow

/// `rtt`: one client, one WaitAck message at a time.
struct RTTBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rtt", abstract: "One client, one WaitAck message at a time: p50/p99/p99.9 µs and messages/s.")

    @Option(help: "Messages to time (after 1,000 warm-up messages).") var messages = 20_000
    @Option(help: "Payload bytes.") var payload = 64

    func run() async throws {
        let backbone = try await BenchBackbone()
        let client = try await backbone.connectedClient("rtt-client")
        let body = [UInt8](repeating: 0x61, count: payload)
        for _ in 0..<1_000 { _ = try await client.send(Message(type: .event, payload: body, waitAck: true)) }
        var sample = LatencySample()
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<messages {
            let sent = clock.now
            _ = try await client.send(Message(type: .event, payload: body, waitAck: true))
            sample.record(clock.now - sent)
        }
        let elapsed = (clock.now - start).seconds
        BenchOutput.report([BenchmarkResult(workload: "rtt", values: [
            ("messages", Double(messages)), ("p50_us", sample.percentile(50)), ("p99_us", sample.percentile(99)),
            ("p999_us", sample.percentile(99.9)), ("msgs_per_s", Double(messages) / elapsed),
        ])])
        await client.disconnect()
        await backbone.close()
    }
}
