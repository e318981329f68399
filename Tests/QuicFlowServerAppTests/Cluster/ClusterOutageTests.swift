import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowCluster
import QuicFlowCtl
@testable import QuicFlowServerApp
import Synchronization
import Testing

/// PostgreSQL goes away (issue 17, point 6): on a server of the test's own,
/// stopped as a crash would stop it, for 10 s.
@Suite("Cluster: PostgreSQL unavailable", .timeLimit(.minutes(3)))
struct ClusterOutageTests {
    @Test("a 10 s PostgreSQL stop: local sessions and local unicast go on; a cross-node send and queueing answer 503 within the call bound; then the nodes reconnect, a cross-node send works again and the message queued before the stop is delivered")
    func outage() async throws {
        try await PrivatePostgres.with { postgres in try await outage(postgres) }
    }

    private func outage(_ postgres: PrivatePostgres) async throws {
        let harness = try ServerHarness()
        let ports = [TestPorts.restartable(), TestPorts.restartable()]
        let tag = UUID().uuidString.prefix(6).lowercased()
        let names = ["a-\(tag)", "b-\(tag)"]
        func start(_ index: Int) async throws -> ServerHarness.Running {
            try await harness.start(
                port: ports[index], cluster: ClusterConfiguration(url: postgres.url, password: nil, nodeID: names[index]))
        }
        let a = try await start(0)
        let b = try await start(1)
        let local = try await harness.device("device-local")
        try await harness.connect(local, port: ports[0])
        let remote = try await harness.device("device-remote")
        try await harness.connect(remote, port: ports[1])
        try await eventually("node A lists the device on node B") {
            try await a.admin.request("GET", "/v1/clients/device-remote").status == 200
        }
        let queued = try await a.admin.post(
            "/v1/clients/device-late/messages", #"{"type": "command", "payload": "kept", "queue_if_offline": true, "ttl_ms": 600000}"#)
        #expect(queued.status == 202)
        let queuedID = try #require(try queued.json()["msg_id"] as? String)

        try await postgres.halt()
        let stopped = ContinuousClock.now
        let direct = try await a.admin.post("/v1/clients/device-local/messages", #"{"type": "command", "payload": "local"}"#)
        #expect(direct.status == 200, "\(direct.bodyText)")
        #expect(try direct.json()["result"] as? String == "ran local")

        for body in [
            ("device-remote", #"{"type": "command", "payload": "across"}"#),
            ("device-new", #"{"type": "command", "payload": "later", "queue_if_offline": true}"#),
        ] {
            let asked = ContinuousClock.now
            let reply = try await a.admin.post("/v1/clients/\(body.0)/messages", body.1)
            #expect(reply.status == 503, "\(body.0): \(reply.bodyText)")
            #expect(reply.bodyText.contains("cluster database is unavailable"), "\(reply.bodyText)")
            #expect(ContinuousClock.now - asked < .seconds(5), "bounded by the 2 s call timeout, never a hang")
        }

        // The outage lasts 10 s: its length is the test's premise, not a wait for an event.
        try await Task.sleep(until: stopped + .seconds(10))
        let still = try await a.admin.post("/v1/clients/device-local/messages", #"{"type": "command", "payload": "still"}"#)
        #expect(try still.json()["result"] as? String == "ran still", "the local session outlived the outage")
        try await postgres.resume()

        let lastReply = Mutex("")
        do {
            try await eventually(timeout: .seconds(30), "a cross-node send to work again") {
                let reply = try await a.admin.post("/v1/clients/device-remote/messages", #"{"type": "command", "payload": "back"}"#)
                lastReply.withLock { $0 = "\(reply.status) \(reply.bodyText)" }
                let result = try reply.json()["result"] as? String
                return reply.status == 200 && result == "ran back"
            }
        } catch {
            Issue.record("the last answer: \(lastReply.withLock { $0 })")
            throw error
        }
        let late = try await harness.device("device-late")
        try await harness.connect(late, port: ports[1])
        try await eventually(timeout: .seconds(20), "the message queued before the outage to be delivered") {
            try await a.admin.request("GET", "/v1/messages/\(queuedID)").json()["state"] as? String == "delivered"
        }
        for device in [local, remote, late] { await device.disconnect() }
        try await a.stop()
        try await b.stop()
    }
}
