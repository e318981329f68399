import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowCtl
@testable import QuicFlowServerApp
import Testing

/// The takeover race (issue 17, point 1) at scale: 1,000 registrations of
/// 50 devices racing between two nodes. It runs on its own in
/// `scripts/test.sh`: its handshakes load both cores.
@Suite("Cluster: devices flapping between nodes", .timeLimit(.minutes(2)))
struct ClusterFlapTests {
    @Test("50 devices flap between two nodes 10 times, each time registering on both at once: each ends with exactly one session, on the node the directory names as connected")
    func flapRace() async throws {
        let nodes = try await ClusterNodesTests.TwoNodes()
        let a = try await nodes.start(0)
        let b = try await nodes.start(1)
        let devices = (0..<50).map { "flap-\($0)" }
        let caFile = nodes.harness.files.caFile
        var previous: [RawClient] = []
        for _ in 0..<10 {
            let round = try await withThrowingTaskGroup(of: RawClient.self) { group in
                for device in devices {
                    for port in nodes.ports {
                        group.addTask {
                            let client = try await RawClient.connect(port: port, caFile: caFile)
                            _ = try await client.register(device)
                            return client
                        }
                    }
                }
                return try await group.reduce(into: [RawClient]()) { $0.append($1) }
            }
            // The last round's sessions go away as devices do; their
            // disconnects must not unseat the newer registrations.
            await withTaskGroup(of: Void.self) { group in
                for client in previous { group.addTask { await client.close() } }
            }
            previous = round
        }

        let servers = [a.app.server, b.app.server]
        try await eventually(timeout: .seconds(30), "each device to keep one session in the cluster") {
            for device in devices {
                var holders = 0
                for server in servers where await server.clientInfo(device) != nil { holders += 1 }
                if holders != 1 { return false }
            }
            return true
        }
        for device in devices {
            let holder = await a.app.server.clientInfo(device) != nil ? nodes.names[0] : nodes.names[1]
            let entry = try await b.admin.request("GET", "/v1/clients/\(device)")
            #expect(entry.status == 200, "\(device) is listed as connected")
            #expect(try entry.json()["node"] as? String == holder, "\(device): the directory names the node that holds it")
        }
        await withTaskGroup(of: Void.self) { group in
            for client in previous { group.addTask { await client.close() } }
        }
        try await a.stop()
        try await b.stop()
    }
}
