import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowCluster
import QuicFlowCtl
import QuicFlowTime
@testable import QuicFlowServerApp
import Synchronization
import Testing

/// The shared offline queue (issue 17, point 3): one node at a time
/// delivers the head of a device's queue, and one node at a time expires.
@Suite("Cluster: the shared offline queue", .timeLimit(.minutes(2)))
struct ClusterQueueTests {
    /// Two live runs on one schema, each with its view of the queue, on one
    /// manual wall clock.
    struct TwoRuns {
        let open: TestPostgres.OpenDatabase
        let wall = ManualWallClock()
        let registries: [NodeRegistry]
        let repositories: [PostgresMessageRepository]

        init() async throws {
            let open = try await TestPostgres.open()
            let wall = self.wall
            let registries = ["node-a", "node-b"].map {
                NodeRegistry(open.database, run: NodeRun(nodeID: $0), lease: .seconds(10), wallClock: wall.clock)
            }
            for registry in registries { try await registry.join() }
            self.open = open
            self.registries = registries
            repositories = registries.map {
                PostgresMessageRepository(open.database, run: $0.run, lease: .seconds(10), wallClock: wall.clock)
            }
        }

        /// A queued message for `device`, with a 1 s ACK timeout.
        func queue(_ msgID: String, for device: String = "device") async throws {
            let now = wall.clock.unixSeconds()
            try await repositories[0].insert(StoredMessage(
                msgID: msgID, clientID: device, type: "command", payload: Data(msgID.utf8), timeoutMilliseconds: 1_000,
                state: .queued, createdAt: now, expiresAt: now + 3_600, updatedAt: now))
        }
    }

    @Test("while node A's claim on the head runs, node B is told it is held elsewhere, also for the messages behind it; a release, the end of the claim or A's death lets B take it")
    func claimsAreExclusive() async throws {
        let runs = try await TwoRuns()
        defer { runs.open.stop() }
        let (a, b) = (runs.repositories[0], runs.repositories[1])
        try await runs.queue("m-1")
        try await runs.queue("m-2")

        guard case .claimed(let head) = try await a.claimNext(for: "device", margin: .seconds(5)) else {
            Issue.record("node A could not claim the head")
            return
        }
        #expect(head.msgID == "m-1")
        #expect(try await b.claimNext(for: "device", margin: .seconds(5)) == .heldElsewhere, "m-2 waits behind m-1: order")
        try await b.releaseClaim("m-1")
        #expect(try await b.claimNext(for: "device", margin: .seconds(5)) == .heldElsewhere, "B cannot release A's claim")

        try await a.releaseClaim("m-1")
        #expect(try await b.claimNext(for: "device", margin: .seconds(5)) == .claimed(head), "released by its holder")
        #expect(try await a.claimNext(for: "device", margin: .seconds(5)) == .heldElsewhere)

        // B's claim lasts the ACK timeout (1 s) plus the margin (5 s).
        runs.wall.advance(by: .milliseconds(5_999))
        for registry in runs.registries { _ = try await registry.beat() }
        #expect(try await a.claimNext(for: "device", margin: .seconds(5)) == .heldElsewhere)
        runs.wall.advance(by: .milliseconds(1))
        #expect(try await a.claimNext(for: "device", margin: .seconds(60)) == .claimed(head), "B's claim ran out")

        // A stops heartbeating (killed): its claim, good for a minute, no
        // longer counts once A's heartbeat is a node lease old.
        runs.wall.advance(by: .seconds(5))
        _ = try await runs.registries[1].beat()
        #expect(try await b.claimNext(for: "device", margin: .seconds(5)) == .heldElsewhere, "A's heartbeat is 5 s old")
        runs.wall.advance(by: .seconds(5))
        _ = try await runs.registries[1].beat()
        #expect(try await b.claimNext(for: "device", margin: .seconds(60)) == .claimed(head), "A's heartbeat is a lease old")
    }

    @Test("claims racing for one head: exactly one of sixteen, from two nodes, gets it")
    func racingClaims() async throws {
        let runs = try await TwoRuns()
        defer { runs.open.stop() }
        try await runs.queue("m-1")
        let repositories = runs.repositories
        let claims = try await withThrowingTaskGroup(of: (node: Int, claim: QueueClaim).self) { group in
            for n in 0..<16 {
                group.addTask { (n % 2, try await repositories[n % 2].claimNext(for: "device", margin: .seconds(5))) }
            }
            return try await group.reduce(into: [(node: Int, claim: QueueClaim)]()) { $0.append($1) }
        }
        // A holder's repeat claim renews its own, so each node may see it
        // claimed; what counts is that only one node holds it.
        let holders = Set(claims.filter { $0.claim.msgID != nil }.map(\.node))
        #expect(holders.count == 1)
        #expect(claims.filter { !holders.contains($0.node) }.allSatisfy { $0.claim == .heldElsewhere })
    }

    @Test("expiry runs on one node at a time: while another node sweeps, a sweep expires nothing and waits for nothing")
    func oneSweeper() async throws {
        let runs = try await TwoRuns()
        defer { runs.open.stop() }
        try await runs.queue("m-1")
        runs.wall.advance(by: .seconds(3_600))
        let b = runs.repositories[1]
        let during = Mutex<[String]?>(nil)
        try await runs.open.database.holdingExpiryLock {
            let swept = try await b.expire().map(\.msgID)
            during.withLock { $0 = swept }
        }
        #expect(during.withLock { $0 } == [], "the lock was held: nothing expired")
        #expect(try await b.lookup("m-1")?.state == .queued)
        #expect(try await b.expire().map(\.msgID) == ["m-1"])
    }

    @Test("a device that moves to node B while another node's delivery claim runs gets the message once, from B, when that claim is released")
    func forwarderHonoursClaims() async throws {
        let nodes = try await ClusterNodesTests.TwoNodes()
        let b = try await nodes.start(1)
        let queued = try await b.admin.post(
            "/v1/clients/device-c/messages",
            #"{"type": "command", "payload": "once", "queue_if_offline": true, "ttl_ms": 60000, "timeout_ms": 30000}"#)
        let msgID = try #require(try queued.json()["msg_id"] as? String)

        // Another live node holds the head, as one in the middle of delivering it does.
        let database = ClusterDatabase(
            url: try TestPostgres.serverURL(), password: nil, applicationName: "quicflow-holder", schema: nodes.schema,
            callTimeout: .seconds(20), logger: TestPostgres.logger)
        let running = Task { await database.run() }
        defer { running.cancel() }
        let holder = NodeRegistry(database, run: NodeRun(nodeID: "holder-\(nodes.names[0])"), lease: .seconds(10))
        try await holder.join()
        let holding = PostgresMessageRepository(database, run: holder.run, lease: .seconds(10))
        #expect(try await holding.claimNext(for: "device-c", margin: .seconds(60)).msgID == msgID)

        let received = Mutex(0)
        let device = try await nodes.harness.device("device-c")
        await device.register(for: .command) { message in
            received.withLock { $0 += 1 }
            return .success(text: "ran " + message.text)
        }
        try await nodes.harness.connect(device, port: nodes.ports[1])
        // An absence cannot be awaited: B's sweep asks every second, so two
        // sweeps have passed the claim by.
        try await Task.sleep(for: .seconds(2))
        #expect(received.withLock { $0 } == 0, "B did not deliver what another node holds")
        #expect(try await b.admin.request("GET", "/v1/messages/\(msgID)").json()["state"] as? String == "queued")

        try await holding.releaseClaim(msgID)
        try await eventually("B delivers it once the claim is released") {
            try await b.admin.request("GET", "/v1/messages/\(msgID)").json()["state"] as? String == "delivered"
        }
        #expect(received.withLock { $0 } == 1)
        await device.disconnect()
        try await b.stop()
    }
}

extension QueueClaim {
    /// The claimed message's id, if this is a claim.
    var msgID: String? {
        if case .claimed(let message) = self { return message.msgID }
        return nil
    }
}
