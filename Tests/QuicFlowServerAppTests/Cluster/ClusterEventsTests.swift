import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowCluster
import QuicFlowCtl
@testable import QuicFlowServerApp
import Synchronization
import Testing

/// `GET /v1/events` in a cluster (issue 17): every node streams every
/// node's events under the same ids, and a listener resumes on any node.
@Suite("Cluster: the event stream", .timeLimit(.minutes(2)))
struct ClusterEventsTests {
    /// Follows one node's `/v1/events` (from `after`) until `stop` holds.
    struct Following {
        let subscribed: AsyncStream<Void>
        let task: Task<[AdminEvent], any Error>

        init(_ admin: AdminClient, after: UInt64? = nil, until stop: @escaping @Sendable (AdminEvent) -> Bool) {
            let (subscribed, signal) = AsyncStream<Void>.makeStream()
            self.subscribed = subscribed
            task = Task {
                let events = Mutex<[AdminEvent]>([])
                _ = try await admin.followEvents(after: after) { event in
                    if event.event == "subscribed" {
                        signal.yield()
                        return true
                    }
                    events.withLock { $0.append(event) }
                    return !stop(event)
                }
                return events.withLock { $0 }
            }
        }

        func waitSubscribed() async throws {
            try await withDeadline(.seconds(10), "the listener to subscribe") {
                for await _ in subscribed { return }
            }
        }

        func events() async throws -> [AdminEvent] {
            try await withDeadline(.seconds(20), "the listener's events") { try await task.value }
        }
    }

    static func node(of event: AdminEvent) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any])?["node"] as? String
    }

    @Test("node B streams what happens on node A, with the node; a Last-Event-ID from B's stream resumes on A with what followed, under the same ids; purged events are a gap")
    func everyNodeStreamsEveryNode() async throws {
        let nodes = try await ClusterNodesTests.TwoNodes()
        let a = try await nodes.start(0)
        let b = try await nodes.start(1)
        let onB = Following(b.admin) { $0.event == "disconnect" }
        try await onB.waitSubscribed()

        let device = try await nodes.harness.device("device-e")
        try await nodes.harness.connect(device, port: nodes.ports[0])
        await device.disconnect()
        let seen = try await onB.events()
        let connect = try #require(seen.first { $0.event == "connect" })
        let disconnect = try #require(seen.last)
        #expect(Self.node(of: connect) == nodes.names[0], "B streams A's event and names A")
        #expect(disconnect.event == "disconnect" && disconnect.id > connect.id)

        // Resumed on the other node: the same events under the same ids.
        let onA = Following(a.admin, after: connect.id) { $0.event == "disconnect" }
        let resumed = try await onA.events()
        #expect(resumed.map(\.event) == seen.drop { $0.id <= connect.id }.map(\.event))
        #expect(resumed.map(\.id) == seen.drop { $0.id <= connect.id }.map(\.id))

        // Past the retention the rows are purged: a listener that asks for them is told.
        let database = ClusterDatabase(
            url: try TestPostgres.serverURL(), password: nil, applicationName: "quicflow-purger", schema: nodes.schema,
            callTimeout: .seconds(20), logger: TestPostgres.logger)
        let running = Task { await database.run() }
        defer { running.cancel() }
        try await database.deleteEventsForTests(through: Int64(disconnect.id))
        let afterPurge = Following(b.admin, after: connect.id - 1) { $0.event == "gap" }
        let gap = try #require(try await afterPurge.events().first)
        #expect(gap.event == "gap")
        #expect(gap.data.contains("were purged"))
        let foreign = Following(a.admin, after: disconnect.id + 1_000) { $0.event == "gap" }
        #expect(try await foreign.events().first?.data.contains("not one of this cluster's") == true)
        try await a.stop()
        try await b.stop()
    }

    @Test("quicflowctl events names the node an event happened on")
    func eventLineShowsNode() {
        let event = AdminEvent(
            id: 7, event: "connect",
            data: #"{"time": "2026-11-29T12:00:00.000Z", "client_id": "device-e", "remote_address": "127.0.0.1:5000", "node": "node-a"}"#)
        #expect(EventLine.render(event) == "2026-11-29T12:00:00.000Z connect client_id=device-e remote_address=127.0.0.1:5000 node=node-a\n")
    }
}
