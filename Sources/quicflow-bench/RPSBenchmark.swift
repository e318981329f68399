import ArgumentParser
import Foundation
import QuicFlow

/// `rps`: N connections × M messages in flight.
struct RPSBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rps", abstract: "N connections × M WaitAck messages in flight: messages/s, p50/p99.")

    /// Which server the messages go to.
    enum Target: String, ExpressibleByArgument, CaseIterable {
        /// A `BackboneServer` in this process whose handler only counts.
        case inProcess = "in-process"
        /// A `quicflow-server` process, its store in memory.
        case daemon
        /// A `quicflow-server` process with `--data-dir`: each device
        /// message and its answer recorded on disk (exactly once across crashes).
        case daemonDisk = "daemon-disk"
    }

    @Option(help: "in-process, daemon or daemon-disk.") var server: Target = .inProcess
    @Option(help: "With daemon or daemon-disk: the server's on-message hook (an executable run per message).")
    var hook: String?

    @Option(help: "Client connections.") var connections = 4
    @Option(help: "Messages in flight per connection.") var inFlight = 32
    @Option(help: "Seconds to run (after a 1 s warm-up).") var seconds = 5.0
    @Option(help: "Payload bytes.") var payload = 64

    func run() async throws {
        var backbone: BenchBackbone?
        var daemon: BenchServer?
        var clients: [BackboneClient] = []
        if server == .inProcess {
            let inProcess = try await BenchBackbone()
            backbone = inProcess
            for index in 0..<connections { clients.append(try await inProcess.connectedClient("rps-\(index)")) }
        } else {
            let files = try BenchCertificates.make(prefix: "quicflow-bench-rps")
            let started = try await BenchServer.start(
                files: files, clients: connections, heartbeatInterval: "60s", heartbeatTimeout: "600s",
                extraArguments: (server == .daemonDisk ? ["--data-dir", files.directory + "/data"] : []) + (hook.map { ["--on-message", $0] } ?? []))
            daemon = started
            for index in 0..<connections {
                let client = BackboneClient(
                    configuration: try ClientConfiguration(
                        clientID: "rps-\(index)", caFile: files.caFile, reconnectEnabled: false,
                        heartbeatInterval: .seconds(60), heartbeatTimeout: .seconds(30)),
                    logger: BenchBackbone.quietLogger)
                try await client.connect(host: "127.0.0.1", port: started.quicPort, serverName: "localhost")
                clients.append(client)
            }
        }
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
        BenchOutput.report([BenchmarkResult(workload: server == .inProcess ? "rps" : "rps-\(server.rawValue)", values: [
            ("connections", Double(connections)), ("in_flight", Double(inFlight)),
            ("msgs_per_s", Double(samples.count) / seconds), ("p50_us", sample.percentile(50)),
            ("p99_us", sample.percentile(99)),
        ])])
        for client in clients { await client.disconnect() }
        await backbone?.close()
        daemon?.stop()
        if let daemon { try? FileManager.default.removeItem(atPath: daemon.directory) }
    }
}
