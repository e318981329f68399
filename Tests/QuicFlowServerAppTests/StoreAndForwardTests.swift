import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowCtl
import QUICTransport
import QuicFlowProtocol
import QuicFlowServerApp
import Synchronization
import Testing
import QuicFlowTime

@Suite("Store and forward", .timeLimit(.minutes(1)))
struct StoreAndForwardTests {
    @Test("a message for an offline client is queued (202), delivered once it connects, also across a server restart")
    func queuedAcrossRestart() async throws {
        let harness = try ServerHarness()
        var server = try await harness.start()
        let admin = server.admin

        let offline = try await admin.post("/v1/clients/device-9/messages", #"{"type": "command", "payload": "x"}"#)
        #expect(offline.status == 404)
        #expect(offline.bodyText.contains("queue_if_offline"))
        let bad = try await admin.post("/v1/clients/device-9/messages", #"{"type": "command", "payload": "x", "ttl_ms": 1000}"#)
        #expect(bad.status == 400, "\(bad.bodyText)")

        let first = try await admin.post("/v1/clients/device-9/messages", #"{"type": "command", "payload": "first", "queue_if_offline": true, "ttl_ms": 600000}"#)
        #expect(first.status == 202, "\(first.bodyText)")
        let firstID = try #require(try first.json()["msg_id"] as? String)
        #expect(try await admin.request("GET", "/v1/messages/\(firstID)").json()["state"] as? String == "queued")

        // The store keeps it while the server is down.
        try await server.stop()
        server = try await harness.start()
        let restarted = server.admin
        #expect(try await restarted.request("GET", "/v1/messages/\(firstID)").json()["state"] as? String == "queued")
        let second = try await restarted.post("/v1/clients/device-9/messages", #"{"type": "command", "payload": "second", "queue_if_offline": true}"#)
        let secondID = try #require(try second.json()["msg_id"] as? String)
        #expect(try await restarted.request("GET", "/metrics").bodyText.contains("quicflow_queued_messages 2.0\n"))

        let received = Mutex<[String]>([])
        let device = try await harness.device("device-9")
        await device.register(for: .command) { message in
            received.withLock { $0.append(message.text) }
            return .success(text: "ran " + message.text)
        }
        try await harness.connect(device)
        try await eventually("both queued messages delivered") {
            let states = try await [firstID, secondID].asyncMap { try await restarted.request("GET", "/v1/messages/\($0)").json()["state"] as? String }
            return states == ["delivered", "delivered"]
        }
        let view = try await restarted.request("GET", "/v1/messages/\(firstID)").json()
        #expect(view["status"] as? String == "success")
        #expect(view["result"] as? String == "ran first")
        #expect(view["client_id"] as? String == "device-9")
        #expect(received.withLock { $0 } == ["first", "second"], "delivered in order, once each")

        // Reconnecting does not deliver them again.
        await device.disconnect()
        try await harness.connect(device)
        let app = server.app
        try await eventually("device-9 registered again") { await app.server.clientInfo("device-9") != nil }
        let sweep = try await restarted.post("/v1/clients/device-9/messages", #"{"type": "command", "payload": "direct"}"#)
        #expect(try sweep.json()["result"] as? String == "ran direct")
        #expect(received.withLock { $0 } == ["first", "second", "direct"])
        #expect(try await restarted.request("GET", "/v1/messages/nothing-like-this").status == 404)

        await device.disconnect()
        try await server.stop()
    }

    @Test("a device that takes a message without answering: 502 for a direct send; a queued one stays queued and is retried on the [delivery] backoff, never faster")
    func unansweredDeliveryBacksOff() async throws {
        let harness = try ServerHarness()
        let backoff = Backoff(initial: .seconds(1), maximum: .seconds(4), jitter: 0.2)
        let server = try await harness.start(deliveryBackoff: backoff)
        let admin = server.admin
        let queued = try await admin.post(
            "/v1/clients/mute-device/messages", #"{"type": "command", "payload": "anyone?", "queue_if_offline": true, "ttl_ms": 600000}"#)
        let msgID = try #require(try queued.json()["msg_id"] as? String)

        // A device that reads each message and finishes the stream without an answer.
        let device = try await RawClient.connect(port: harness.quicPort, caFile: harness.files.caFile)
        let arrivals = Mutex<[(String, ContinuousClock.Instant)]>([])
        let connection = device.connection
        let reader = Task {
            for await stream in connection.inboundStreams {
                var decoder = FrameDecoder()
                while let chunk = try? await stream.read() {
                    try? decoder.feed(chunk)
                    if let frame = try? decoder.nextFrame(), case .data(let data)? = try? frame.decodePayload() {
                        arrivals.withLock { $0.append((data.msgID, .now)) }
                        try? await stream.finish()
                        break
                    }
                }
            }
        }
        #expect(try await device.register("mute-device")?.type == .pong)

        let direct = try await admin.post("/v1/clients/mute-device/messages", #"{"type": "command", "payload": "direct"}"#)
        #expect(direct.status == 502, "\(direct.bodyText)")
        #expect(direct.bodyText.contains("without an answer"))

        // A fixed observation window: the backoff, not an event, decides what happens in it.
        try await Task.sleep(for: .seconds(5))
        let tries = arrivals.withLock { $0 }.filter { $0.0 == msgID }.map(\.1)
        print("queued delivery without answers: \(tries.count) tries in 5 s")
        // Nominal 0, 1, 3 s (then 7): at most 3 in 5 s, and at least 2.
        #expect((2...3).contains(tries.count), "\(tries.count) tries in 5 s")
        for n in 1..<tries.count {
            #expect(tries[n] - tries[n - 1] >= backoff.shortestDelay(attempt: n), "try \(n + 1) came \(tries[n] - tries[n - 1]) after try \(n)")
        }
        #expect(try await admin.request("GET", "/v1/messages/\(msgID)").json()["state"] as? String == "queued")
        reader.cancel()
        await device.close()
        try await server.stop()
    }

    @Test("a queued message whose ttl runs out expires and is never delivered")
    func expiry() async throws {
        let harness = try ServerHarness()
        let server = try await harness.start(persistent: false)
        let reply = try await server.admin.post("/v1/clients/late-device/messages", #"{"type": "command", "payload": "too late", "queue_if_offline": true, "ttl_ms": 200}"#)
        #expect(reply.status == 202)
        let id = try #require(try reply.json()["msg_id"] as? String)
        try await eventually("the message expired") {
            try await server.admin.request("GET", "/v1/messages/\(id)").json()["state"] as? String == "expired"
        }
        let received = Mutex(0)
        let device = try await harness.device("late-device")
        await device.register(for: .command) { _ in
            received.withLock { $0 += 1 }
            return .success()
        }
        try await harness.connect(device)
        // A direct message after it proves the session works and is ordered after any delivery.
        let direct = try await server.admin.post("/v1/clients/late-device/messages", #"{"type": "command", "payload": "now"}"#)
        #expect(try direct.json()["status"] as? String == "success")
        #expect(received.withLock { $0 } == 1, "only the direct message arrived")
        await device.disconnect()
        try await server.stop()
    }

    @Test("a delivery in flight when the server stops ends with the server; its message stays queued and the next run delivers it")
    func deliveryEndsWithServer() async throws {
        let harness = try ServerHarness()
        var server = try await harness.start()
        let queued = try await server.admin.post(
            "/v1/clients/device-5/messages", #"{"type": "command", "payload": "hold", "queue_if_offline": true, "timeout_ms": 30000}"#)
        let id = try #require(try queued.json()["msg_id"] as? String)

        let (started, handlerStarted) = AsyncStream.makeStream(of: Void.self)
        let calls = Mutex(0)
        let device = try await harness.device("device-5")
        await device.register(for: .command) { message in
            let call = calls.withLock { $0 += 1; return $0 }
            if call == 1 {
                handlerStarted.yield()
                try? await Task.sleep(for: .seconds(5))
            }
            return .success(text: "ran " + message.text)
        }
        try await harness.connect(device)
        try await withDeadline(.seconds(10), "the queued message's delivery to start") {
            for await _ in started { break }
        }

        // The delivery awaits a 30 s acknowledgement; stopping does not wait for it.
        let first = server
        try await withDeadline(.seconds(10), "the server to stop with a delivery in flight") { try await first.stop() }
        await device.disconnect()
        server = try await harness.start()
        #expect(try await server.admin.request("GET", "/v1/messages/\(id)").json()["state"] as? String == "queued")

        try await harness.connect(device)
        let admin = server.admin
        try await eventually("the next run delivers it") {
            try await admin.request("GET", "/v1/messages/\(id)").json()["state"] as? String == "delivered"
        }
        #expect(calls.withLock { $0 } == 2)
        await device.disconnect()
        try await server.stop()
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
