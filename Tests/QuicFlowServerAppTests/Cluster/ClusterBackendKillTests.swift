import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowCluster
import QuicFlowCtl
@testable import QuicFlowServerApp
import Testing

/// A single PostgreSQL backend killed (`pg_terminate_backend`) at each step
/// of the hot paths, while its statement is on the wire: the call answers
/// in time, honestly, nothing is lost or run twice, and the next call works.
@Suite("Cluster: a backend killed at each step", .timeLimit(.minutes(3)))
struct ClusterBackendKillTests {
    /// One cross-node unicast through node B to the device on node A.
    static func unicast(_ b: ServerHarness.Running, _ payload: String) async throws -> (AdminReply, Duration) {
        let started = ContinuousClock.now
        let reply = try await b.admin.post(
            "/v1/clients/device-k/messages",
            #"{"type": "command", "payload": "\#(payload)", "wait_ack": true, "timeout_ms": 8000}"#)
        return (reply, ContinuousClock.now - started)
    }

    @Test("cross-node unicast: killed while routing it is a prompt 503 and nothing ran; killed while claiming, recording the answer or reading it, the call still brings the answer, and the device ran it once")
    func unicastSteps() async throws {
        let nodes = try await ClusterNodesTests.TwoNodes()
        let a = try await nodes.start(0)
        let b = try await nodes.start(1)
        let stalls = try await BackendStalls.install(in: nodes.schema)
        let device = try await nodes.harness.device("device-k")
        try await nodes.harness.connect(device, port: nodes.ports[0])
        try await eventually("node B knows where the device is") {
            try await b.admin.request("GET", "/v1/clients/device-k").status == 200
        }

        // The caller's INSERT of the routed row (and its NOTIFY).
        try await stalls.arm(node: nodes.names[1], pattern: "%'deliver:'%")
        async let routed = Self.unicast(b, "route")
        try await stalls.kill(node: nodes.names[1])
        let (refused, refusedIn) = try await routed
        #expect(refused.status == 503)
        #expect(refused.bodyText.contains("PostgreSQL"), "\(refused.bodyText)")
        #expect(refusedIn < .seconds(4), "within the call bound (2 s), not the message's timeout (8 s)")
        #expect(await a.app.server.metrics().messagesSent == 0, "not routed, not run")

        // The holding node's claim, its outcome write, and the caller's read.
        let steps = [
            (node: nodes.names[0], pattern: "%SET state = 'sent', updated_at%", payload: "claim"),
            (node: nodes.names[0], pattern: "%'done:'%", payload: "outcome"),
            (node: nodes.names[1], pattern: "%no node took it in time%", payload: "read"),
        ]
        for (index, step) in steps.enumerated() {
            try await stalls.arm(node: step.node, pattern: step.pattern)
            async let answered = Self.unicast(b, step.payload)
            try await stalls.kill(node: step.node)
            let (reply, took) = try await answered
            #expect(reply.status == 200, "\(step.payload): \(reply.status) \(reply.bodyText)")
            #expect(try reply.json()["result"] as? String == "ran \(step.payload)", "\(step.payload)")
            #expect(took < .seconds(8), "\(step.payload): answered before the message's timeout")
            #expect(await a.app.server.metrics().messagesSent == index + 1, "\(step.payload): sent to the device once")
        }

        // The pools replaced their dead connections: a plain call works.
        let (after, _) = try await Self.unicast(b, "after")
        #expect(after.status == 200)
        #expect(try after.json()["result"] as? String == "ran after")
        await device.disconnect()
        try await a.stop()
        try await b.stop()
    }

    @Test("registration, queueing and queued delivery: a registration whose write was killed is written again at the next heartbeat; a queueing killed is a 503, then queues; a delivery claim killed is retried by the sweep, and the message is delivered once")
    func registrationAndQueueSteps() async throws {
        let nodes = try await ClusterNodesTests.TwoNodes()
        let a = try await nodes.start(0)
        let b = try await nodes.start(1)
        let stalls = try await BackendStalls.install(in: nodes.schema)

        // Node A's write of a registration: the session is up on A at once,
        // and the cluster learns of it at the device's next heartbeat.
        try await stalls.arm(node: nodes.names[0], pattern: "%INSERT INTO qf_device_session%")
        let device = try await nodes.harness.device("device-k")
        async let connected: Void = nodes.harness.connect(device, port: nodes.ports[0])
        try await stalls.kill(node: nodes.names[0])
        try await connected
        try await eventually("node B learns the device is on node A") {
            try await b.admin.request("GET", "/v1/clients/device-k").json()["node"] as? String == nodes.names[0]
        }
        let (reply, _) = try await ClusterBackendKillTests.unicast(b, "seen")
        #expect(reply.status == 200)
        #expect(await a.app.server.clientInfo("device-k") != nil, "its own session was not closed by its second write")

        // Queueing through node B for an offline device.
        let queue = #"{"type": "command", "payload": "later", "wait_ack": true, "queue_if_offline": true, "ttl_ms": 60000}"#
        try await stalls.arm(node: nodes.names[1], pattern: "%status, result, error, late, origin_node)%")
        async let refusedReply = b.admin.post("/v1/clients/device-q/messages", queue)
        try await stalls.kill(node: nodes.names[1])
        let refused = try await refusedReply
        #expect(refused.status == 503, "\(refused.bodyText)")
        let queued = try await b.admin.post("/v1/clients/device-q/messages", queue)
        #expect(queued.status == 202)
        let msgID = try #require(try queued.json()["msg_id"] as? String)

        // Node A's claim of the queue's head when the device connects there.
        try await stalls.arm(node: nodes.names[0], pattern: "%WITH head AS%")
        let late = try await nodes.harness.device("device-q")
        try await nodes.harness.connect(late, port: nodes.ports[0])
        try await stalls.kill(node: nodes.names[0])
        try await eventually("the sweep delivers it") {
            try await b.admin.request("GET", "/v1/messages/\(msgID)").json()["state"] as? String == "delivered"
        }
        #expect(try await b.admin.request("GET", "/v1/messages/\(msgID)").json()["result"] as? String == "ran later")
        #expect(await a.app.server.metrics().messagesSent == 2, "the unicast and the queued message, each once")
        await late.disconnect()
        await device.disconnect()
        try await a.stop()
        try await b.stop()
    }
}
