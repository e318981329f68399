import ArgumentParser
import Foundation
import QUICTransport
import QuicFlow
import QuicFlowCtl
import QuicFlowTime

/// `soak`: many clients with fast heartbeats and steady traffic on a
/// `quicflow-server` process for minutes; its RSS and open file descriptors
/// sampled at a fixed interval must stay flat. Not a CI test: it is slow by
/// design (scripts/soak.sh).
struct SoakBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Clients with 1 s heartbeats and steady traffic for minutes: server RSS and fds sampled, must stay flat.")

    @Option(help: "Connected clients.") var clients = 1_000
    @Option(help: "Length of the run in seconds.") var seconds = 600
    @Option(help: "Seconds between samples.") var sampleEvery = 10
    @Option(help: "Events the clients send per second, in all.") var eventsPerSecond = 200
    @Option(help: "Commands the server sends per second through the admin API.") var commandsPerSecond = 20
    @Option(help: "The server's msg_id window in seconds; memory grows until it is full.") var dedupWindowSeconds = 30
    @Option(help: "Allowed RSS growth from the first sample after warm-up to the last, in percent.")
    var maxGrowthPercent = 10.0

    /// One line straight to standard output (unbuffered), so a sample shows
    /// as it is taken even when the output is a file or a pipe.
    private func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    func run() async throws {
        let files = try BenchCertificates.make(prefix: "quicflow-soak")
        defer { try? FileManager.default.removeItem(atPath: files.directory) }
        // As deployed: message records on disk (--data-dir), not in RSS, and a
        // msg_id window that fills within the warm-up minute, so what
        // follows is steady state. Both grow by design until full.
        let server = try await BenchServer.start(
            files: files, clients: clients, heartbeatInterval: "1s", heartbeatTimeout: "10s",
            extraArguments: ["--data-dir", files.directory + "/data", "--dedup-window", "\(dedupWindowSeconds)s"])
        defer { server.stop() }
        let quicPort = server.quicPort
        let admin = server.admin
        let clock = ContinuousClock()

        var shares: [QUICEndpoint] = []
        let base = try ClientConfiguration(clientID: "x", caFile: files.caFile)
        for _ in 0..<((clients + 99) / 100) {
            shares.append(try await QUICEndpoint.client(configuration: base.endpointConfiguration))
        }
        let endpoints = shares
        var made: [BackboneClient] = []
        for index in 0..<clients {
            let client = BackboneClient(
                configuration: try ClientConfiguration(
                    clientID: "soak-\(index)", caFile: files.caFile, initialBackoff: .milliseconds(200),
                    maxBackoff: .seconds(2), heartbeatInterval: .seconds(1), heartbeatTimeout: .seconds(5)),
                logger: BenchBackbone.quietLogger, endpoint: endpoints[index / 100])
            await client.register(for: .command) { .success(text: "ok \($0.text)") }
            try await client.connect(host: "127.0.0.1", port: quicPort, serverName: "localhost")
            made.append(client)
        }
        let fleet = made
        emit("soak: \(clients) clients connected; \(eventsPerSecond) events/s up, \(commandsPerSecond) commands/s down, for \(seconds) s")

        let failures = Counter()
        let sent = Counter()
        let traffic = Task {
            var tick = 0
            while !Task.isCancelled {
                let started = clock.now
                let second = tick
                await withTaskGroup(of: Void.self) { group in
                    for n in 0..<eventsPerSecond {
                        let client = fleet[(second * eventsPerSecond + n) % fleet.count]
                        group.addTask {
                            let reply = try? await client.send(Message(type: .event, text: "tick \(second)", waitAck: true))
                            if reply?.status == .success { sent.increment() } else { failures.increment() }
                        }
                    }
                    for n in 0..<commandsPerSecond {
                        let target = "soak-\((second * commandsPerSecond + n * 7) % fleet.count)"
                        group.addTask {
                            let reply = try? await admin.request(
                                "POST", "/v1/clients/\(target)/messages",
                                body: Array(#"{"type": "command", "payload": "c"}"#.utf8))
                            if reply?.status == 200 { sent.increment() } else { failures.increment() }
                        }
                    }
                }
                tick += 1
                try? await Task.sleep(until: started + .seconds(1))
            }
        }

        emit("elapsed_s  rss_mib  fds  connected  messages  failures")
        var samples: [(elapsed: Int, rssKiB: Int, fds: Int)] = []
        let start = clock.now
        var next = start
        while clock.now - start < .seconds(seconds) {
            next += .seconds(sampleEvery)
            try await Task.sleep(until: next)
            let stats = try ProcessStats.sample(pid: server.pid)
            let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.pid)/fd").count) ?? -1
            let connected = (try? await admin.request("GET", "/v1/clients"))
                .flatMap { try? JSONSerialization.jsonObject(with: Data($0.body)) as? [Any] }?.count ?? -1
            let elapsed = Int((clock.now - start).seconds.rounded())
            samples.append((elapsed, stats.rssKiB, fds))
            emit(String(format: "%9d  %7.1f  %3d  %9d  %8d  %8d", elapsed, Double(stats.rssKiB) / 1024, fds, connected, sent.value, failures.value))
        }
        traffic.cancel()
        _ = await traffic.value
        for client in fleet { await client.disconnect() }
        for endpoint in endpoints { await endpoint.close() }

        // The first minute is warm-up (allocator pools filling); flat means
        // no growth after it.
        let settled = samples.first { $0.elapsed >= 60 } ?? samples.first!
        let last = samples.last!
        let growth = Double(last.rssKiB - settled.rssKiB) / Double(settled.rssKiB) * 100
        BenchOutput.report([BenchmarkResult(workload: "soak", values: [
            ("clients", Double(clients)), ("seconds", Double(seconds)),
            ("rss_mib_start", Double(settled.rssKiB) / 1024), ("rss_mib_end", Double(last.rssKiB) / 1024),
            ("rss_growth_percent", growth), ("fds_start", Double(settled.fds)), ("fds_end", Double(last.fds)),
            ("messages", Double(sent.value)), ("failures", Double(failures.value)),
        ])])
        guard growth <= maxGrowthPercent, last.fds <= settled.fds + 5 else {
            throw BenchError("not flat: RSS \(settled.rssKiB) -> \(last.rssKiB) KiB (\(String(format: "%.1f", growth))%), fds \(settled.fds) -> \(last.fds)")
        }
    }
}
