import ArgumentParser
import Foundation
import QuicFlow
import QuicFlowAgent

/// `outbox`: the agent's durable enqueue rate, `quicflow-agent send` per
/// call, and the replay rate of a backlog after a reconnect.
struct OutboxBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Durable enqueue rate (single rows and group commit), quicflow-agent send per call, backlog replay rate.")

    @Option(help: "Rows for the single-row durable enqueue.") var single = 3_000
    @Option(help: "Backlog to enqueue in batches and replay.") var backlog = 100_000
    @Option(help: "Rows per batch (one transaction, one fsync).") var batch = 500
    @Option(help: "quicflow-agent send calls to time.") var sendCalls = 30
    @Option(help: "Messages in flight during the replay (the agent's outbox.in_flight).") var inFlight = 256

    func run() async throws {
        let backbone = try await BenchBackbone()
        let directory = backbone.directory
        var results: [BenchmarkResult] = []
        let clock = ContinuousClock()

        // Single rows: each enqueue is its own durable transaction.
        let singleOutbox = try Outbox(path: directory + "/single.sqlite")
        let payload = [UInt8](repeating: 0x65, count: 100)
        var start = clock.now
        for _ in 0..<single { _ = try await singleOutbox.enqueue(type: .event, payload: payload) }
        let singleRate = Double(single) / (clock.now - start).seconds
        try singleOutbox.close()

        // Group commit: batches in one transaction each, into the agent's outbox.
        let agent = try AgentProcess(
            directory: directory, backbone: backbone, clientID: "bench-agent",
            outboxLines: ["replay_rate = 1000000", "in_flight = \(inFlight)", "max_messages = \(backlog + 1_000)"])
        let outbox = try Outbox(path: agent.outboxPath, maxMessages: backlog + 1_000)
        start = clock.now
        for first in stride(from: 0, to: backlog, by: batch) {
            let messages = (first..<min(backlog, first + batch)).map { _ in Message(type: .event, payload: payload) }
            _ = try await outbox.enqueueBatch(messages)
        }
        let batchRate = Double(backlog) / (clock.now - start).seconds
        try outbox.close()
        results.append(BenchmarkResult(workload: "outbox_enqueue", values: [
            ("single_rows_per_s", singleRate), ("batched_rows_per_s", batchRate), ("batch", Double(batch)),
        ]))

        // quicflow-agent send: a new process per call, durable before it exits.
        var sendSample = LatencySample()
        let sendDirectory = directory + "/send"
        try FileManager.default.createDirectory(atPath: sendDirectory, withIntermediateDirectories: true)
        let sender = try AgentProcess(directory: sendDirectory, backbone: backbone, clientID: "bench-sender")
        for _ in 0..<sendCalls {
            let begun = clock.now
            let status = try sender.command(["send", "--type", "event", "--payload", "bench"])
            guard status == 0 else { throw BenchError("quicflow-agent send exited \(status)") }
            sendSample.record(clock.now - begun)
        }
        results.append(BenchmarkResult(workload: "agent_send", values: [
            ("calls", Double(sendCalls)), ("p50_ms", sendSample.percentile(50) / 1_000),
            ("p99_ms", sendSample.percentile(99) / 1_000),
        ]))

        // Replay: the agent starts with the backlog and delivers it with ACKs.
        let before = backbone.received.value
        let process = try agent.start()
        defer { process.terminate(); process.waitUntilExit() }
        var first: ContinuousClock.Instant?
        let deadline = clock.now + .seconds(600)
        while true {
            let count = backbone.received.value - before
            if count > 0 && first == nil { first = clock.now }
            if count >= backlog { break }
            guard clock.now < deadline, process.isRunning else { throw BenchError("replay stalled at \(count) of \(backlog)") }
            try await Task.sleep(for: .milliseconds(5))
        }
        let replaySeconds = (clock.now - (first ?? clock.now)).seconds
        results.append(BenchmarkResult(workload: "outbox_replay", values: [
            ("messages", Double(backlog)), ("seconds", replaySeconds), ("msgs_per_s", Double(backlog) / replaySeconds),
            ("in_flight", Double(inFlight)),
        ]))
        BenchOutput.report(results)
        await backbone.close()
    }
}
