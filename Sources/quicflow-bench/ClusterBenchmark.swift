import ArgumentParser
import Foundation
import QUICTransport
import QuicFlow
import QuicFlowCtl

/// `cluster`: three `quicflow-server` nodes on one PostgreSQL. Unicast
/// latency through the admin API to a device on the same node and on
/// another; cross-node msg/s with PostgreSQL statements per message; the
/// rate at which a reconnecting device gets its queue; and the time for
/// the devices of a node killed with SIGKILL to re-home on the others.
struct ClusterBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Three nodes on one PostgreSQL: same/cross-node unicast, cross-node msg/s, queued delivery, re-homing after a kill.")

    @Option(help: "The PostgreSQL, postgres://USER@HOST:PORT/DB (an empty database: the nodes use its public schema).")
    var database: String
    @Option(help: "Sequential unicasts per latency sample (same node, cross node).") var unicasts = 500
    @Option(help: "Seconds of concurrent cross-node sends.") var seconds = 5.0
    @Option(help: "Concurrent cross-node sends.") var concurrency = 32
    @Option(help: "Messages queued for one offline device.") var queued = 5_000
    @Option(help: "Devices on the node that is killed.") var devices = 1_000

    func run() async throws {
        let files = try BenchCertificates.make(prefix: "quicflow-cluster")
        defer { try? FileManager.default.removeItem(atPath: files.directory) }
        var nodes: [BenchServer] = []
        defer { for node in nodes { node.stop() } }
        for index in 0..<3 {
            nodes.append(try await BenchServer.start(
                files: files, clients: devices, heartbeatInterval: "5s", heartbeatTimeout: "60s",
                extraArguments: ["--cluster-database", database, "--node-id", "bench-\(index)"]))
        }
        let clock = ContinuousClock()
        let configuration = try ClientConfiguration(clientID: "x", caFile: files.caFile)
        // A hundred devices per client UDP socket, as in `fanout`.
        var shares: [QUICEndpoint] = []
        for _ in 0..<(devices / 100 + 2) {
            shares.append(try await QUICEndpoint.client(configuration: configuration.endpointConfiguration))
        }
        let endpoints = shares
        @Sendable func device(_ id: String, _ index: Int = 0) throws -> BackboneClient {
            BackboneClient(
                configuration: try ClientConfiguration(
                    clientID: id, caFile: files.caFile, initialBackoff: .milliseconds(100), maxBackoff: .seconds(1),
                    heartbeatInterval: .seconds(1), heartbeatTimeout: .seconds(3), dispatcherWorkers: 1),
                logger: BenchBackbone.quietLogger, endpoint: endpoints[index / 100 + 1])
        }

        // Latency: one device on node 0, commands through node 0 and node 1.
        let target = try device("lat-0")
        await target.register(for: .command) { _ in .success(text: "ok") }
        try await target.connect(host: "127.0.0.1", port: nodes[0].quicPort, serverName: "localhost")
        try await Self.waitListed("lat-0", on: nodes[1].admin)
        let command = Array(#"{"type": "command", "payload": "ping", "timeout_ms": 5000}"#.utf8)
        func sample(_ admin: AdminClient, count: Int) async throws -> LatencySample {
            var sample = LatencySample()
            for _ in 0..<count {
                let sent = clock.now
                let reply = try await admin.request("POST", "/v1/clients/lat-0/messages", body: command)
                guard reply.status == 200 else { throw BenchError("a unicast failed: \(reply.status) \(reply.bodyText)") }
                sample.record(clock.now - sent)
            }
            return sample
        }
        _ = try await sample(nodes[1].admin, count: 50)  // warm up both paths
        _ = try await sample(nodes[0].admin, count: 50)
        let same = try await sample(nodes[0].admin, count: unicasts)
        let cross = try await sample(nodes[1].admin, count: unicasts)

        // Cross-node msg/s, and what PostgreSQL did per message.
        let statementsBefore = try await Self.sum("quicflow_cluster_db_statements_total", nodes)
        let sent = Counter()
        let deadline = clock.now + .seconds(seconds)
        let started = clock.now
        let crossAdmin = nodes[1].admin
        // The count at half time: a rate that falls within the run means a
        // message costs more the more came before it (as the thunk chain of
        // a closure kept in a Mutex did).
        let halfway = started + .seconds(seconds / 2)
        let atHalf = try await withThrowingTaskGroup(of: Int?.self) { group in
            group.addTask {
                try await Task.sleep(until: halfway, clock: clock)
                return sent.value
            }
            for _ in 0..<concurrency {
                group.addTask {
                    while clock.now < deadline {
                        let reply = try await crossAdmin.request("POST", "/v1/clients/lat-0/messages", body: command)
                        guard reply.status == 200 else { throw BenchError("a unicast failed: \(reply.status) \(reply.bodyText)") }
                        _ = sent.increment()
                    }
                    return nil
                }
            }
            var half = 0
            for try await count in group { if let count { half = count } }
            return half
        }
        let crossSeconds = (clock.now - started).seconds
        let statements = try await Self.sum("quicflow_cluster_db_statements_total", nodes) - statementsBefore
        let crossCount = Double(sent.value)
        let firstHalfRate = Double(atHalf) / (seconds / 2)
        let secondHalfRate = (crossCount - Double(atHalf)) / max(0.001, crossSeconds - seconds / 2)

        // Queued delivery: messages for an offline device, then it connects to node 2.
        let queueBody = Array(#"{"type": "command", "payload": "q", "queue_if_offline": true}"#.utf8)
        let queueStart = clock.now
        for _ in 0..<queued {
            let reply = try await nodes[0].admin.request("POST", "/v1/clients/late-0/messages", body: queueBody)
            guard reply.status == 202 else { throw BenchError("queueing failed: \(reply.status) \(reply.bodyText)") }
        }
        let queueSeconds = (clock.now - queueStart).seconds
        let late = try device("late-0")
        let delivered = Counter()
        let (allDelivered, done) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let expected = queued
        await late.register(for: .command) { _ in
            if delivered.increment() == expected { done.yield() }
            return .success()
        }
        let connectedAt = clock.now
        try await late.connect(host: "127.0.0.1", port: nodes[2].quicPort, serverName: "localhost")
        for await _ in allDelivered { break }
        let deliverySeconds = (clock.now - connectedAt).seconds

        // Re-homing: devices on node 2 with the three addresses; node 2 is killed.
        let servers = nodes.map { ServerEndpoint(host: "127.0.0.1", port: $0.quicPort, serverName: "localhost") }
        let count = devices
        let fleet = try await withThrowingTaskGroup(of: [BackboneClient].self) { group in
            for lane in 0..<32 {
                group.addTask {
                    var made: [BackboneClient] = []
                    for index in stride(from: lane, to: count, by: 32) {
                        let client = try device("home-\(index)", index)
                        try await client.connect(to: servers, startingAt: 2)
                        made.append(client)
                    }
                    return made
                }
            }
            var all: [BackboneClient] = []
            for try await made in group { all += made }
            return all
        }
        let observer = nodes[0].admin
        let killedAt = clock.now
        kill(nodes[2].pid, SIGKILL)
        nodes[2].process.waitUntilExit()
        while true {
            let placed = try await Self.placement(observer)
            let home = placed.filter { $0.key.hasPrefix("home-") }
            if home.count == count && !home.values.contains("bench-2") { break }
            guard clock.now - killedAt < .seconds(120) else { throw BenchError("the devices did not re-home within 120 s") }
            try await Task.sleep(for: .milliseconds(100))
        }
        let rehomeSeconds = (clock.now - killedAt).seconds

        BenchOutput.report([BenchmarkResult(workload: "cluster", values: [
            ("same_node_p50_us", same.percentile(50)), ("same_node_p99_us", same.percentile(99)),
            ("cross_node_p50_us", cross.percentile(50)), ("cross_node_p99_us", cross.percentile(99)),
            ("cross_overhead_p50_us", cross.percentile(50) - same.percentile(50)),
            ("cross_msg_per_s", crossCount / crossSeconds),
            ("cross_msg_per_s_first_half", firstHalfRate), ("cross_msg_per_s_second_half", secondHalfRate),
            ("pg_statements_per_cross_msg", Double(statements) / max(1, crossCount)),
            ("queue_per_s", Double(queued) / queueSeconds),
            ("queued_delivery_per_s", Double(queued) / deliverySeconds),
            ("rehome_devices", Double(count)), ("rehome_s", rehomeSeconds),
        ])])
        for client in fleet + [target, late] { await client.disconnect() }
        for endpoint in endpoints { await endpoint.close() }
    }

    /// The sum over the running nodes of a /metrics counter.
    static func sum(_ name: String, _ nodes: [BenchServer]) async throws -> Int {
        var total = 0
        for node in nodes {
            let text = try await node.admin.request("GET", "/metrics").bodyText
            for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
                total += Int(Double(line.dropFirst(name.count + 1)) ?? 0)
            }
        }
        return total
    }

    /// The cluster's devices and their nodes, as `admin`'s node lists them.
    static func placement(_ admin: AdminClient) async throws -> [String: String] {
        let reply = try await admin.request("GET", "/v1/clients")
        let list = (try JSONSerialization.jsonObject(with: Data(reply.body)) as? [[String: Any]]) ?? []
        return Dictionary(list.compactMap { entry in
            (entry["client_id"] as? String).map { ($0, entry["node"] as? String ?? "") }
        }, uniquingKeysWith: { first, _ in first })
    }

    static func waitListed(_ id: String, on admin: AdminClient) async throws {
        for _ in 0..<100 {
            if (try? await admin.request("GET", "/v1/clients/\(id)").status) == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("\(id) was not listed by the other node")
    }
}
