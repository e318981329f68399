import Foundation
import QUICTestSupport
import QUICTransport
import QuicFlow
import QuicFlowCluster
import QuicFlowCtl
@testable import QuicFlowServerApp
import Testing

/// A device that registers on node B while node A still holds its old
/// session (a NAT change, a fast reconnect): A closes the old one with
/// code 2, told through PostgreSQL, and a late notice never closes a newer one.
@Suite("Cluster: takeover", .timeLimit(.minutes(2)))
struct ClusterTakeoverTests {
    @Test("registering on node B closes the session on node A with code 2; the directory says node B, epoch 2")
    func takeover() async throws {
        let nodes = try await ClusterNodesTests.TwoNodes()
        let a = try await nodes.start(0)
        let b = try await nodes.start(1)
        let old = try await RawClient.connect(port: nodes.ports[0], caFile: nodes.harness.files.caFile)
        _ = try await old.register("device-t")
        try await eventually("node A registered the device") {
            try await b.admin.request("GET", "/v1/clients/device-t").json()["node"] as? String == nodes.names[0]
        }
        let new = try await RawClient.connect(port: nodes.ports[1], caFile: nodes.harness.files.caFile)
        _ = try await new.register("device-t")

        let reason = try await withDeadline(.seconds(10), "node A to close the old session") { await old.connection.closeReason }
        #expect(reason == .application(code: 2, reason: "registered again on another node", byPeer: true))
        try await eventually("node A no longer lists it as its own") { await a.app.server.clientInfo("device-t") == nil }
        let entry = try await a.admin.request("GET", "/v1/clients/device-t").json()
        #expect(entry["node"] as? String == nodes.names[1])
        #expect(await a.app.server.clientInfo("device-t") == nil)
        await new.close()
        await old.close()
        try await a.stop()
        try await b.stop()
    }

    @Test("a late notice about an older registration never closes the newer session it finds")
    func lateNotice() async throws {
        let nodes = try await ClusterNodesTests.TwoNodes()
        let a = try await nodes.start(0)
        let device = try await RawClient.connect(port: nodes.ports[0], caFile: nodes.harness.files.caFile)
        _ = try await device.register("device-l")
        try await eventually("its epoch is recorded") {
            try await a.admin.request("GET", "/v1/clients/device-l").status == 200
        }
        // Epoch 1 is this very session's: a notice about it changes nothing.
        #expect(await a.app.server.supersede(clientID: "device-l", epoch: 1) == false)
        #expect(await a.app.server.clientInfo("device-l") != nil)
        #expect(await a.app.server.supersede(clientID: "device-l", epoch: 2))
        await device.close()
        try await a.stop()
    }

    @Test("a takeover notice that arrives while the node still writes its own registration closes the session once that write returns")
    func noticeOutrunsRegistration() async throws {
        let nodes = try await ClusterNodesTests.TwoNodes()
        let a = try await nodes.start(0)
        // Advisory locks are per database, not per schema: a name of its own.
        let device = "device-r-\(UUID().uuidString.prefix(8).lowercased())"
        let (locked, lockedSignal) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        // Node A's write of the registration waits for this lock.
        let holder = Task {
            try await TestPostgres.admin.get().holdingRegistrationLock(of: device) {
                lockedSignal.yield()
                for await _ in release { break }
            }
        }
        for await _ in locked { break }
        let client = try await RawClient.connect(port: nodes.ports[0], caFile: nodes.harness.files.caFile)
        _ = try await client.register(device)
        try await eventually("node A holds the session") { await a.app.server.clientInfo(device) != nil }

        // Node B's registration committed and its notice came first.
        #expect(await a.app.server.supersede(clientID: device, epoch: 7) == false, "A's own epoch is not known yet")
        releaseSignal.yield()
        try await holder.value
        let reason = try await withDeadline(.seconds(10), "node A to close the session") { await client.connection.closeReason }
        #expect(reason == .application(code: 2, reason: "registered again on another node", byPeer: true))
        await client.close()
        try await a.stop()
    }

    @Test("the notification connection comes back after its backend is killed, LISTENs again, and takeover works again")
    func listenerReconnects() async throws {
        let nodes = try await ClusterNodesTests.TwoNodes()
        let a = try await nodes.start(0)
        let b = try await nodes.start(1)
        let listener = try #require(a.app.cluster?.listener)
        try await eventually("node A listens") { listener.caughtUpCount == 1 }
        #expect(try await TestPostgres.listeners(of: nodes.names[0]) == 1)
        let killed = try await TestPostgres.terminateListeners(of: nodes.names[0])
        #expect(killed == 1)
        // Its new connection LISTENs and catches up (the killed backend may
        // still show in pg_stat_activity for a moment, so that is no sign).
        try await eventually("node A listens again") { listener.caughtUpCount == 2 }
        try await eventually("only its new backend is left") { try await TestPostgres.listeners(of: nodes.names[0]) == 1 }
        #expect(listener.connectionCount == 2)

        let old = try await RawClient.connect(port: nodes.ports[0], caFile: nodes.harness.files.caFile)
        _ = try await old.register("device-k")
        try await eventually("node A registered the device") {
            try await b.admin.request("GET", "/v1/clients/device-k").json()["node"] as? String == nodes.names[0]
        }
        let new = try await RawClient.connect(port: nodes.ports[1], caFile: nodes.harness.files.caFile)
        _ = try await new.register("device-k")
        let reason = try await withDeadline(.seconds(10), "node A to close the old session") { await old.connection.closeReason }
        #expect(reason == .application(code: 2, reason: "registered again on another node", byPeer: true))
        await new.close()
        await old.close()
        try await a.stop()
        try await b.stop()
    }
}
