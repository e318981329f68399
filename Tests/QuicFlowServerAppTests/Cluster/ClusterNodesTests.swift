import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowCluster
import QuicFlowCtl
import QUICTransport
@testable import QuicFlowServerApp
import Testing

/// Two nodes of one cluster in this process, on the tests' PostgreSQL (a
/// schema of their own), sharing one certificate so a device may connect
/// to either.
@Suite("Cluster: nodes on one PostgreSQL", .timeLimit(.minutes(2)))
struct ClusterNodesTests {
    /// The harness and the cluster settings of node `name`, on one schema.
    struct TwoNodes {
        let harness: ServerHarness
        let schema: String
        let ports = [TestPorts.restartable(), TestPorts.restartable()]
        /// Node ids unique to this test: application names and channels are server-wide.
        let names: [String] = {
            let tag = UUID().uuidString.prefix(6).lowercased()
            return ["a-\(tag)", "b-\(tag)"]
        }()

        init() async throws {
            harness = try ServerHarness()
            schema = try await TestPostgres.makeSchema()
        }

        func cluster(_ node: String) throws -> ClusterConfiguration {
            ClusterConfiguration(url: try TestPostgres.serverURL(), password: nil, nodeID: node, schema: schema)
        }

        func start(_ index: Int, hook: DeviceMessageRepeatTests.RecordingHook? = nil) async throws -> ServerHarness.Running {
            try await harness.start(
                hook: hook?.configuration, port: ports[index], cluster: try cluster(names[index]))
        }
    }

    @Test("a device on node A is listed by node B with its node; /v1/cluster lists both nodes, alive, with their device counts")
    func presence() async throws {
        let nodes = try await TwoNodes()
        let a = try await nodes.start(0)
        let b = try await nodes.start(1)
        let device = try await nodes.harness.device("device-p")
        try await nodes.harness.connect(device, port: nodes.ports[0])

        try await eventually("node B lists the device on node A") {
            let clients = try JSONSerialization.jsonObject(with: Data(try await b.admin.request("GET", "/v1/clients").body)) as? [[String: Any]]
            return clients?.first?["client_id"] as? String == "device-p" && clients?.first?["node"] as? String == nodes.names[0]
        }
        let one = try await b.admin.request("GET", "/v1/clients/device-p")
        #expect(one.status == 200)
        #expect(try one.json()["node"] as? String == nodes.names[0])

        let cluster = try await b.admin.request("GET", "/v1/cluster").json()
        #expect(cluster["node"] as? String == nodes.names[1])
        let listed = try #require(cluster["nodes"] as? [[String: Any]])
        #expect(listed.map { $0["node"] as? String } == nodes.names)
        #expect(listed.map { $0["alive"] as? Bool } == [true, true])
        #expect(listed.map { $0["devices"] as? Int } == [1, 0])
        #expect(listed.allSatisfy { ($0["heartbeat_age_ms"] as? Int).map { $0 >= 0 } == true })
        try await eventually("each node announces where it listens") {
            let listed = try await b.admin.request("GET", "/v1/cluster").json()["nodes"] as? [[String: Any]] ?? []
            let backbones = Set(listed.compactMap { $0["backbone_address"] as? String })
            let admins = listed.compactMap { $0["admin_url"] as? String }
            return backbones == Set(nodes.ports.map { "127.0.0.1:\($0)" }) && admins.count == 2
                && admins.allSatisfy { $0.hasPrefix("http://127.0.0.1:") }
        }

        await device.disconnect()
        try await eventually("the device leaves the cluster's list") {
            try await b.admin.request("GET", "/v1/clients/device-p").status == 404
        }
        try await a.stop()
        try await b.stop()
    }

    @Test("a message queued through node B for an offline device is delivered once by node A when the device connects there; B finds its outcome")
    func sharedQueue() async throws {
        let nodes = try await TwoNodes()
        let a = try await nodes.start(0)
        let b = try await nodes.start(1)
        let queued = try await b.admin.post(
            "/v1/clients/device-q/messages",
            #"{"type": "command", "payload": "hello", "wait_ack": true, "queue_if_offline": true, "ttl_ms": 60000}"#)
        #expect(queued.status == 202)
        let msgID = try #require(try queued.json()["msg_id"] as? String)
        #expect(try await a.admin.request("GET", "/v1/messages/\(msgID)").json()["state"] as? String == "queued", "one queue for the cluster")

        let device = try await nodes.harness.device("device-q")
        try await nodes.harness.connect(device, port: nodes.ports[0])
        try await eventually("node B sees the outcome node A delivered") {
            try await b.admin.request("GET", "/v1/messages/\(msgID)").json()["state"] as? String == "delivered"
        }
        let record = try await b.admin.request("GET", "/v1/messages/\(msgID)").json()
        #expect(record["status"] as? String == "success")
        #expect(record["result"] as? String == "ran hello")
        #expect(await a.app.server.metrics().messagesSent == 1)
        #expect(await b.app.server.metrics().messagesSent == 0)
        await device.disconnect()
        try await a.stop()
        try await b.stop()
    }

    @Test("exactly once across nodes: a device message node A answered is answered from the shared log when the device repeats it to node B")
    func sharedReceivedLog() async throws {
        let nodes = try await TwoNodes()
        let hook = try DeviceMessageRepeatTests.RecordingHook(in: nodes.harness.directory)
        let a = try await nodes.start(0, hook: hook)
        let b = try await nodes.start(1, hook: hook)
        let first = try await nodes.harness.device("device-x")
        try await nodes.harness.connect(first, port: nodes.ports[0])
        let answer = try await first.send(DeviceMessageRepeatTests.query("x-1"))
        #expect(answer == .success(text: "answer-1"))
        await first.disconnect()

        // The same device, now on node B, repeats it (its ACK was lost, say).
        let second = try await nodes.harness.device("device-x")
        try await nodes.harness.connect(second, port: nodes.ports[1])
        #expect(try await second.send(DeviceMessageRepeatTests.query("x-1")) == answer)
        #expect(hook.lines == ["x-1 0"], "handled once, on node A")
        let metrics = await b.app.server.prometheusText(adding: [])
        #expect(metrics.contains("quicflow_repeats_answered_from_store_total 1"))
        await second.disconnect()
        try await a.stop()
        try await b.stop()
    }

    @Test("a unicast through node B to a device on node A reaches it and brings its answer back to B; both nodes find its outcome; one-way too")
    func crossNode() async throws {
        let nodes = try await TwoNodes()
        let a = try await nodes.start(0)
        let b = try await nodes.start(1)
        let device = try await nodes.harness.device("device-o")
        try await nodes.harness.connect(device, port: nodes.ports[0])
        try await eventually("node B knows where the device is") {
            try await b.admin.request("GET", "/v1/clients/device-o").status == 200
        }
        let reply = try await b.admin.post(
            "/v1/clients/device-o/messages", #"{"type": "command", "payload": "x", "wait_ack": true, "timeout_ms": 5000}"#)
        #expect(reply.status == 200)
        let answer = try reply.json()
        #expect(answer["status"] as? String == "success")
        #expect(answer["result"] as? String == "ran x")
        let msgID = try #require(answer["msg_id"] as? String)
        for node in [a, b] {
            let record = try await node.admin.request("GET", "/v1/messages/\(msgID)").json()
            #expect(record["state"] as? String == "delivered")
            #expect(record["result"] as? String == "ran x")
        }
        #expect(await a.app.server.metrics().messagesSent == 1, "node A sent it to its device")
        #expect(await b.app.server.metrics().messagesSent == 0)

        let oneWay = try await b.admin.post("/v1/clients/device-o/messages", #"{"type": "command", "payload": "y", "wait_ack": false}"#)
        #expect(oneWay.status == 200)
        #expect(try oneWay.json()["status"] as? String == "sent")
        try await eventually("node A sent the one-way message") { await a.app.server.metrics().messagesSent == 2 }
        let metrics = String(decoding: try await b.admin.request("GET", "/metrics").body, as: UTF8.self)
        #expect(metrics.contains("quicflow_cluster_cross_node_sends_total 2"))
        #expect(metrics.contains("quicflow_cluster_nodes_alive 2"))
        #expect(metrics.contains("quicflow_cluster_listener_connections_total 1"))
        await device.disconnect()
        try await a.stop()
        try await b.stop()
    }

    @Test("a lost done-notice costs time, not the answer: the caller reads the row when its wait ends")
    func lostNotice() async throws {
        let nodes = try await TwoNodes()
        let a = try await nodes.start(0)
        let device = try await nodes.harness.device("device-n")
        try await nodes.harness.connect(device, port: nodes.ports[0])
        try await eventually("node A has the device") { await a.app.server.clientInfo("device-n") != nil }
        // A caller whose node never listens: node A's done-notice reaches nobody.
        let database = ClusterDatabase(
            url: try TestPostgres.serverURL(), password: nil, applicationName: "quicflow-ghost", schema: nodes.schema,
            callTimeout: .seconds(10), logger: TestPostgres.logger)
        let pool = Task { await database.run() }
        defer { pool.cancel() }
        let router = ClusterRouter(database: database, nodeID: "ghost", logger: TestPostgres.logger)
        // 5 s: node A must take it before it expires, even under the suite's load.
        var message = Message(type: .command, text: "z", waitAck: true, timeout: .seconds(5))
        message.msgID = "lost-1"
        let started = ContinuousClock.now
        let outcome = try await router.send(message, to: "device-n", via: nodes.names[0])
        #expect(outcome == .answered(status: "success", result: Data("ran z".utf8), error: ""))
        #expect(ContinuousClock.now - started >= .seconds(6), "it waited out its timeout and a second, then read the row")
        await device.disconnect()
        try await a.stop()
    }

    @Test("a message no node takes in time is certainly not delivered: the caller expires its row, and a late claim finds nothing")
    func notTaken() async throws {
        let nodes = try await TwoNodes()
        let a = try await nodes.start(0)
        let database = ClusterDatabase(
            url: try TestPostgres.serverURL(), password: nil, applicationName: "quicflow-caller", schema: nodes.schema,
            callTimeout: .seconds(10), logger: TestPostgres.logger)
        let pool = Task { await database.run() }
        defer { pool.cancel() }
        let router = ClusterRouter(database: database, nodeID: "caller", logger: TestPostgres.logger)
        var message = Message(type: .command, text: "w", waitAck: true, timeout: .seconds(1))
        message.msgID = "untaken-1"
        // Routed to a node that does not exist: nobody hears it.
        #expect(try await router.send(message, to: "device-u", via: "nobody") == .noAnswer(taken: false))
        let record = try await a.admin.request("GET", "/v1/messages/untaken-1").json()
        #expect(record["state"] as? String == "expired")
        try await a.stop()
    }
}
