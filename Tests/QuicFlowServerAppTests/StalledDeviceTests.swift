import Foundation
import QUICTestSupport
import QUICTransport
import QuicFlow
import QuicFlowCtl
import QuicFlowProtocol
import QuicFlowServerApp
import Testing

/// A registered device that takes no more streams (it never reads the one
/// it was given, so its stream limit of one stays used up) must not be
/// counted as reached, by the broadcast's answer, the admin API or the
/// metrics, and must not hold a send past its timeout.
@Suite("A stalled device")
struct StalledDeviceTests {
    @Test("a broadcast does not count a device that grants no stream, and the API and metrics agree")
    func broadcastSkipsStalledDevice() async throws {
        let harness = try ServerHarness()
        let server = try await harness.start(persistent: false, messageTimeout: .milliseconds(500))
        let api = server.admin
        let healthy = try await harness.device("healthy")
        try await harness.connect(healthy)
        var stingy = QUICSettings()
        stingy.maxConcurrentBidirectionalStreams = 1
        let stalled = try await RawClient.connect(port: harness.quicPort, caFile: harness.files.caFile, settings: stingy)
        #expect(try await stalled.register("stalled")?.type == .pong)

        // The first broadcast takes the stalled device's only stream; it never reads it.
        let first = try await api.post("/v1/broadcast", #"{"type": "event", "payload": "one"}"#)
        #expect(try first.json()["reached"] as? Int == 2, "\(first.bodyText)")
        var inbound = stalled.connection.inboundStreams.makeAsyncIterator()
        _ = try #require(await inbound.next())

        // Both wait at most the 500 ms message timeout; the deadline is for a regression.
        let second = try await withDeadline(.seconds(10), "a broadcast with a stalled device") {
            try await api.post("/v1/broadcast", #"{"type": "event", "payload": "two"}"#)
        }
        #expect(try second.json()["reached"] as? Int == 1, "\(second.bodyText)")

        // A one-way unicast to it fails the same way instead of hanging.
        let unicast = try await withDeadline(.seconds(10), "a one-way unicast to a stalled device") {
            try await api.post("/v1/clients/stalled/messages", #"{"type": "event", "payload": "three", "wait_ack": false}"#)
        }
        #expect(unicast.status == 502, "\(unicast.bodyText)")
        #expect(unicast.bodyText.contains("was not delivered"), "\(unicast.bodyText)")

        let metrics = try await api.request("GET", "/metrics").bodyText
        #expect(metrics.contains("quicflow_broadcasts_total 2"), "\(metrics)")
        #expect(metrics.contains("quicflow_broadcast_targets_total 3"), "\(metrics)")
        #expect(metrics.contains("quicflow_messages_failed_total 2"), "\(metrics)")

        await stalled.close()
        await healthy.disconnect()
        try await server.stop()
    }
}
