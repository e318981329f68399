import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowAgent
import QuicFlowCtl
import QuicFlowServerApp
import Synchronization
import Testing
import QuicFlowHooks

@Suite("Event stream, late responses and the on-message hook", .timeLimit(.minutes(1)))
struct EventStreamTests {
    /// Follows /v1/events in a task, collecting events until `stop` is seen.
    final class EventLog: Sendable {
        let items = Mutex<[AdminEvent]>([])
    }

    final class Follower: Sendable {
        let log = EventLog()
        let subscribed: AsyncStream<Void>
        private let subscribedSignal: AsyncStream<Void>.Continuation
        let task: Task<AdminReply, any Error>

        init(_ admin: AdminClient, until stop: @escaping @Sendable (AdminEvent) -> Bool) {
            let (stream, signal) = AsyncStream<Void>.makeStream()
            subscribed = stream
            subscribedSignal = signal
            let log = self.log
            task = Task {
                try await admin.followEvents { event in
                    if event.event == "subscribed" {
                        signal.yield()
                        return true
                    }
                    log.items.withLock { $0.append(event) }
                    return !stop(event)
                }
            }
        }

        func waitSubscribed() async {
            for await _ in subscribed { return }
        }

        func names() -> [String] { log.items.withLock { $0.map(\.event) } }

        func json(_ name: String) throws -> [[String: Any]] {
            try log.items.withLock { $0.filter { $0.event == name } }.map {
                (try JSONSerialization.jsonObject(with: Data($0.data.utf8)) as? [String: Any]) ?? [:]
            }
        }
    }

    @Test("connects, queued/delivered, messages from clients with late RESPONSE results, disconnects; the hook gets each message and answers queries")
    func stream() async throws {
        let harness = try ServerHarness()
        // The hook appends "TYPE SENDER PAYLOAD" to a file and prints "answer:PAYLOAD".
        let log = harness.directory + "/hook.log"
        let script = harness.directory + "/hook.sh"
        try """
            #!/bin/sh
            payload=$(cat)
            printf '%s %s %s\\n' "$QUICFLOW_MSG_TYPE" "$QUICFLOW_SENDER_ID" "$payload" >> \(log)
            printf 'answer:%s' "$payload"
            """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let server = try await harness.start(hook: try HandlerConfiguration(executable: script, timeout: .seconds(10)))
        let admin = server.admin

        #expect(try await AdminClient(url: "http://127.0.0.1:\(admin.port)", token: "wrong").followEvents { _ in false }.status == 401)

        let follower = Follower(admin) { $0.event == "disconnect" }
        await follower.waitSubscribed()

        let queued = try await admin.post("/v1/clients/device-3/messages", #"{"type": "command", "payload": "hello", "queue_if_offline": true}"#)
        #expect(queued.status == 202)
        let device = try await harness.device("device-3")
        try await harness.connect(device)
        try await eventually("delivered") { follower.names().contains("delivered") }

        // A command whose ACK times out, then the device's late RESPONSE with the result.
        let slow = try await admin.post("/v1/clients/device-3/messages", #"{"type": "command", "payload": "slow", "timeout_ms": 100}"#)
        #expect(try slow.json()["status"] as? String == "timeout")
        let slowID = try #require(try slow.json()["msg_id"] as? String)
        #expect(try await admin.request("GET", "/v1/messages/\(slowID)").json()["state"] as? String == "sent")
        let late = #"{"in_reply_to": "\#(slowID)", "status": "SUCCESS", "result_base64": "\#(Data("late result".utf8).base64EncodedString())", "error": ""}"#
        #expect(try await device.send(Message(type: .response, payload: Array(late.utf8), waitAck: true)).status == .success)
        let view = try await admin.request("GET", "/v1/messages/\(slowID)").json()
        #expect(view["state"] as? String == "delivered")
        #expect(view["result"] as? String == "late result")
        #expect(view["late"] as? Bool == true)

        let event = try await device.send(Message(type: .event, payload: Array("temperature=21".utf8), waitAck: true))
        #expect(event.status == .success)
        let query = try await device.send(Message(type: .query, payload: Array("config?".utf8), waitAck: true))
        #expect(query.text == "answer:config?", "a query is answered by the hook")

        await device.disconnect()
        let reply = try await follower.task.value
        #expect(reply.status == 200)
        #expect(follower.names() == ["queued", "connect", "delivered", "message", "message", "message", "disconnect"])
        let messages = try follower.json("message")
        #expect(messages.map { $0["type"] as? String } == ["response", "event", "query"])
        #expect(messages[0]["in_reply_to"] as? String == slowID)
        #expect(messages[0]["result"] as? String == "late result")
        #expect(messages[1]["payload"] as? String == "temperature=21")
        #expect(messages.allSatisfy { $0["client_id"] as? String == "device-3" })
        #expect(try follower.json("connect").first?["client_id"] as? String == "device-3")
        #expect(try follower.json("delivered").first?["result"] as? String == "ran hello")

        let hookLines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(hookLines.count == 3)
        #expect(hookLines.contains("event device-3 temperature=21"))
        #expect(hookLines.contains("query device-3 config?"))

        // Graceful shutdown ends a listener's stream.
        let listener = Follower(admin) { _ in false }
        await listener.waitSubscribed()
        try await server.stop()
        #expect(try await listener.task.value.status == 200)
    }
}
