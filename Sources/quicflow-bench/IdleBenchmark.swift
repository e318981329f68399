import ArgumentParser
import QuicFlow
import Foundation

/// `idle`: a connected `quicflow-agent` doing nothing: RSS and CPU.
struct IdleBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle", abstract: "quicflow-agent RSS and CPU while connected and idle.")

    @Option(help: "Seconds to watch.") var seconds = 60

    func run() async throws {
        let backbone = try await BenchBackbone()
        let agent = try AgentProcess(directory: backbone.directory, backbone: backbone, clientID: "idle-agent")
        let process = try agent.start()
        defer { process.terminate(); process.waitUntilExit() }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while await backbone.server.clientInfo("idle-agent") == nil {
            guard clock.now < deadline else { throw BenchError("the agent did not connect") }
            try await Task.sleep(for: .milliseconds(20))
        }
        // Start-up work (opening the outbox, the handshake) is not idle time.
        try await Task.sleep(for: .seconds(2))
        let first = try ProcessStats.sample(pid: process.processIdentifier)
        let start = clock.now
        try await Task.sleep(for: .seconds(seconds))
        let last = try ProcessStats.sample(pid: process.processIdentifier)
        let wall = (clock.now - start).seconds
        BenchOutput.report([BenchmarkResult(workload: "idle", values: [
            ("seconds", wall), ("agent_rss_mib", Double(last.rssKiB) / 1024),
            ("agent_cpu_percent", (last.cpuSeconds - first.cpuSeconds) / wall * 100),
        ])])
        await backbone.close()
    }
}
