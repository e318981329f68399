import ArgumentParser
import QuicFlow

/// `bulk`: 1 MiB messages over one connection.
struct BulkBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bulk", abstract: "1 MiB WaitAck messages over one connection: MB/s.")

    @Option(help: "Messages to send (after 8 warm-up messages).") var messages = 256
    @Option(help: "Messages in flight.") var inFlight = 4

    func run() async throws {
        let backbone = try await BenchBackbone()
        let client = try await backbone.connectedClient("bulk-client")
        let body = [UInt8](repeating: 0x62, count: 1 << 20)
        for _ in 0..<8 { _ = try await client.send(Message(type: .event, payload: body, waitAck: true)) }
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<inFlight {
                group.addTask {
                    for _ in stride(from: lane, to: messages, by: inFlight) {
                        _ = try await client.send(Message(type: .event, payload: body, waitAck: true))
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = (clock.now - start).seconds
        BenchOutput.report([BenchmarkResult(workload: "bulk", values: [
            ("messages", Double(messages)), ("mib", Double(messages)),
            ("mb_per_s", Double(messages * (1 << 20)) / elapsed / 1e6),
        ])])
        await client.disconnect()
        await backbone.close()
    }
}
