import Foundation
import Logging
import NIOCore
import QUICTestSupport
import QUICTransport
import QuicFlow
import QuicFlowProtocol
import QuicFlowServerApp
import ServiceLifecycle
import Testing

/// A registered device that takes no more streams (it never reads the one
/// it was given, so its stream limit of one stays used up) must not be
/// counted as reached, by the broadcast's answer, the admin API or the
/// metrics, and must not hold a send past its timeout.
@Suite("A stalled device")
struct StalledDeviceTests {
    @Test("a broadcast does not count a device that grants no stream, and the API and metrics agree")
    func broadcastSkipsStalledDevice() async throws {
        let directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "stalled")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let authority = try TestCertificateAuthority()
        let files = try authority.writeFiles(
            for: try authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"]),
            in: directory, name: "server")
        let app = try ServerApp(ServerAppConfiguration(
            backbone: try ServerConfiguration(
                host: "127.0.0.1", port: 0, certificateFile: files.certificateFile, keyFile: files.keyFile,
                heartbeatTimeout: .seconds(60), defaultMessageTimeout: .milliseconds(500)),
            admin: try AdminConfiguration(host: "127.0.0.1", port: 0, token: "s3cret-token")))
        await app.prepare()
        let group = ServiceGroup(configuration: .init(services: app.services(), logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        let adminPort = try #require(await app.adminListeningAddress()?.port)
        let quicPort = try #require(await app.backboneListeningAddress()?.port)
        let api = AdminHTTP(base: "http://127.0.0.1:\(adminPort)", token: "s3cret-token")

        let healthy = BackboneClient(configuration: try ClientConfiguration(clientID: "healthy", caFile: files.caFile))
        try await healthy.connect(host: "127.0.0.1", port: quicPort, serverName: "localhost")
        var stingy = QUICSettings()
        stingy.maxConcurrentBidirectionalStreams = 1
        let stalled = try await RawClient.connect(port: quicPort, caFile: files.caFile, settings: stingy)
        #expect(try await stalled.register("stalled")?.type == .pong)

        // The first broadcast takes the stalled device's only stream; it never reads it.
        let first = try await api.request("POST", "/v1/broadcast", body: #"{"type": "event", "payload": "one"}"#)
        #expect(try first.json()["reached"] as? Int == 2, "\(first.text)")
        var inbound = stalled.connection.inboundStreams.makeAsyncIterator()
        _ = try #require(await inbound.next())

        // Both wait at most the 500 ms message timeout; the deadline is for a regression.
        let second = try await withDeadline(.seconds(10), "a broadcast with a stalled device") {
            try await api.request("POST", "/v1/broadcast", body: #"{"type": "event", "payload": "two"}"#)
        }
        #expect(try second.json()["reached"] as? Int == 1, "\(second.text)")

        // A one-way unicast to it fails the same way instead of hanging.
        let unicast = try await withDeadline(.seconds(10), "a one-way unicast to a stalled device") {
            try await api.request(
                "POST", "/v1/clients/stalled/messages", body: #"{"type": "event", "payload": "three", "wait_ack": false}"#)
        }
        #expect(unicast.status == 502, "\(unicast.text)")
        #expect(unicast.text.contains("was not delivered"), "\(unicast.text)")

        let metrics = try await api.request("GET", "/metrics").text
        #expect(metrics.contains("quicflow_broadcasts_total 2"), "\(metrics)")
        #expect(metrics.contains("quicflow_broadcast_targets_total 3"), "\(metrics)")
        #expect(metrics.contains("quicflow_messages_failed_total 2"), "\(metrics)")

        await stalled.close()
        await healthy.disconnect()
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
