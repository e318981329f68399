import ArgumentParser
import Foundation
import QUICTransport
import QuicFlow
import QuicFlowCtl

/// `fanout`: C connected clients on a `quicflow-server` process; its RSS
/// per connection, and the time from a broadcast until every client has it.
struct FanoutBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout",
        abstract: "C clients on a quicflow-server process: server RSS per connection, broadcast-to-all time.")

    @Option(help: "Connected clients.") var clients = 10_000
    @Option(help: "Clients per shared client endpoint (UDP socket).") var perEndpoint = 100
    @Option(help: "Connections being set up at once.") var concurrency = 64
    @Option(help: "Broadcasts to time.") var broadcasts = 5

    func run() async throws {
        let files = try BenchCertificates.make(prefix: "quicflow-fanout")
        defer { try? FileManager.default.removeItem(atPath: files.directory) }
        let server = try await BenchServer.start(
            files: files, clients: clients, heartbeatInterval: "60s", heartbeatTimeout: "600s")
        defer { server.stop() }
        let quicPort = server.quicPort
        let admin = server.admin
        let clock = ContinuousClock()
        let before = try ProcessStats.sample(pid: server.pid)

        let received = Counter()
        let (allReceived, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        var shares: [QUICEndpoint] = []
        let configuration = try ClientConfiguration(clientID: "x", caFile: files.caFile)
        for _ in 0..<((clients + perEndpoint - 1) / perEndpoint) {
            shares.append(try await QUICEndpoint.client(configuration: configuration.endpointConfiguration))
        }
        let endpoints = shares
        let perEndpoint = self.perEndpoint
        let concurrency = self.concurrency
        let target = clients
        let connectStart = clock.now
        let connected = try await withThrowingTaskGroup(of: [BackboneClient].self) { group in
            for lane in 0..<concurrency {
                group.addTask {
                    var made: [BackboneClient] = []
                    for index in stride(from: lane, to: target, by: concurrency) {
                        let client = BackboneClient(
                            configuration: try ClientConfiguration(
                                clientID: "fan-\(index)", caFile: files.caFile, reconnectEnabled: false,
                                heartbeatInterval: .seconds(60), heartbeatTimeout: .seconds(30), dispatcherWorkers: 1),
                            logger: BenchBackbone.quietLogger, endpoint: endpoints[index / perEndpoint])
                        await client.register(for: .event) { _ in
                            let count = received.increment()
                            if count % target == 0 { signal.yield() }
                            return .success()
                        }
                        try await client.connect(host: "127.0.0.1", port: quicPort, serverName: "localhost")
                        made.append(client)
                    }
                    return made
                }
            }
            var all: [BackboneClient] = []
            for try await made in group { all += made }
            return all
        }
        let connectSeconds = (clock.now - connectStart).seconds
        // Let the server settle (allocations from the connect burst) before sampling.
        try await Task.sleep(for: .seconds(2))
        let after = try ProcessStats.sample(pid: server.pid)

        var sample = LatencySample()
        var iterator = allReceived.makeAsyncIterator()
        for _ in 0..<broadcasts {
            let sent = clock.now
            let reply = try await admin.request("POST", "/v1/broadcast", body: Array(#"{"type": "event", "payload": "fanout"}"#.utf8))
            guard reply.status == 200 else { throw BenchError("broadcast failed: \(reply.bodyText)") }
            _ = await iterator.next()
            sample.record(clock.now - sent)
        }
        BenchOutput.report([BenchmarkResult(workload: "fanout", values: [
            ("clients", Double(connected.count)), ("connect_s", connectSeconds),
            ("server_rss_mib", Double(after.rssKiB) / 1024),
            ("rss_kib_per_conn", Double(after.rssKiB - before.rssKiB) / Double(max(1, connected.count))),
            ("broadcast_ms_p50", sample.percentile(50) / 1_000), ("broadcast_ms_max", sample.percentile(100) / 1_000),
        ])])
        for client in connected { await client.disconnect() }
        for endpoint in endpoints { await endpoint.close() }
    }
}
