import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowCluster
import QuicFlowCtl
@testable import QuicFlowServerApp
import Synchronization
import Testing

/// `POST /v1/broadcast` on any node reaches the devices of every node.
@Suite("Cluster: broadcast", .timeLimit(.minutes(2)))
struct ClusterBroadcastTests {
    @Test("a broadcast through node B reaches the devices of both nodes once each and answers the cluster-wide count")
    func broadcast() async throws {
        let nodes = try await ClusterNodesTests.TwoNodes()
        let a = try await nodes.start(0)
        let b = try await nodes.start(1)
        let received = Mutex<[String: Int]>([:])
        var devices: [BackboneClient] = []
        for (id, node) in [("bc-1", 0), ("bc-2", 0), ("bc-3", 1)] {
            let device = try await nodes.harness.device(id)
            await device.register(for: .event) { message in
                received.withLock { $0[id, default: 0] += 1 }
                return .success()
            }
            try await nodes.harness.connect(device, port: nodes.ports[node])
            devices.append(device)
        }
        try await eventually("node B sees all three devices") {
            let clients = try JSONSerialization.jsonObject(with: Data(try await b.admin.request("GET", "/v1/clients").body)) as? [Any]
            return clients?.count == 3
        }
        let reply = try await b.admin.post("/v1/broadcast", #"{"type": "event", "payload": "hello all"}"#)
        #expect(reply.status == 200)
        let body = try reply.json()
        #expect(body["reached"] as? Int == 3)
        #expect(body["nodes"] as? Int == 2)
        #expect(body["nodes_reporting"] as? Int == 2)
        try await eventually("every device got it") { received.withLock { $0.values.reduce(0, +) } == 3 }
        #expect(received.withLock { $0 } == ["bc-1": 1, "bc-2": 1, "bc-3": 1])
        #expect(await a.app.server.metrics().broadcastsSent == 1)
        #expect(await b.app.server.metrics().broadcastsSent == 1)
        for device in devices { await device.disconnect() }
        try await a.stop()
        try await b.stop()
    }
}
