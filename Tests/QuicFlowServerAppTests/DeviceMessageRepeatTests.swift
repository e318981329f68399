import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowAgent
import QuicFlowCtl
@testable import QuicFlowServerApp
import Testing
import QuicFlowHooks

/// A device repeats a message whose ACK it did not get (its outbox retries);
/// the server's store remembers each answer so a repeat after a restart is
/// answered, not handled again.
@Suite("Device message repeats across server restarts", .timeLimit(.minutes(1)))
struct DeviceMessageRepeatTests {
    /// An on-message hook logging "MSG_ID REDELIVERED" per run and answering
    /// a query with "answer-N", N its run count.
    struct RecordingHook {
        let configuration: HandlerConfiguration
        let log: String

        init(in directory: String) throws {
            log = directory + "/hook.log"
            let path = directory + "/hook.sh"
            try """
                #!/bin/sh
                cat > /dev/null
                printf '%s %s\\n' "$QUICFLOW_MSG_ID" "$QUICFLOW_REDELIVERED" >> "\(log)"
                printf 'answer-%s' "$(wc -l < "\(log)" | tr -d ' ')"
                """.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
            configuration = try HandlerConfiguration(executable: path)
        }

        var lines: [String] {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
    }

    static func query(_ msgID: String) -> Message {
        var message = Message(type: .query, text: "q", waitAck: true, timeout: .seconds(10))
        message.msgID = msgID
        return message
    }

    @Test("a repeat after a restart gets the stored answer and is not handled again; a new msg_id is handled")
    func repeatAfterRestart() async throws {
        let harness = try ServerHarness()
        let hook = try RecordingHook(in: harness.directory)
        var server = try await harness.start(hook: hook.configuration)
        let device = try await harness.device("device-r")
        try await harness.connect(device)

        let first = try await device.send(Self.query("repeat-1"))
        #expect(first == .success(text: "answer-1"))
        // Within the same run the in-memory window answers it.
        #expect(try await device.send(Self.query("repeat-1")) == first)

        // A restart empties the in-memory window; the store still knows.
        try await server.stop()
        server = try await harness.start(hook: hook.configuration)
        let app = server.app
        // Registered on the server and the REGISTER answer home on the device.
        try await eventually("device-r back") {
            let registered = await app.server.clientInfo("device-r") != nil
            let state = await device.state
            return registered && state == .connected
        }
        #expect(try await device.send(Self.query("repeat-1")) == first)
        #expect(hook.lines == ["repeat-1 0"], "handled once")
        let metrics = try await server.admin.request("GET", "/metrics").bodyText
        #expect(metrics.contains("quicflow_repeats_answered_from_store_total 1\n"), "\(metrics)")
        #expect(metrics.contains("quicflow_messages_redelivered_total 0\n"))
        #expect(metrics.contains("quicflow_remembered_answers 1.0\n"), "the count is read back from the file")

        #expect(try await device.send(Self.query("repeat-2")) == .success(text: "answer-2"))
        #expect(hook.lines == ["repeat-1 0", "repeat-2 0"])

        await device.disconnect()
        try await server.stop()
    }

    @Test("a message a crashed run began and did not finish is handled again, marked redelivered for the hook and the event stream")
    func interruptedIsRedelivered() async throws {
        let harness = try ServerHarness()
        let hook = try RecordingHook(in: harness.directory)
        // What a run killed inside the hook leaves behind: the message recorded
        // as being handled, no answer.
        try FileManager.default.createDirectory(atPath: harness.dataDirectory, withIntermediateDirectories: true)
        let crashed = try SQLiteReceivedLog(ServerDatabase(directory: harness.dataDirectory))
        #expect(try await crashed.beginHandling(sender: "device-c", msgID: "cut-short") == .new)

        let server = try await harness.start(hook: hook.configuration)
        let admin = server.admin
        let (subscribed, signal) = AsyncStream<Void>.makeStream()
        let firstMessage = Task { () -> String in
            var data = ""
            _ = try await admin.followEvents { event in
                if event.event == "subscribed" { signal.yield() }
                guard event.event == "message" else { return true }
                data = event.data
                return false
            }
            return data
        }
        for await _ in subscribed { break }
        let device = try await harness.device("device-c")
        try await harness.connect(device)
        #expect(try await device.send(Self.query("cut-short")) == .success(text: "answer-1"))
        #expect(hook.lines == ["cut-short 1"], "handled again, flagged")
        let message = (try JSONSerialization.jsonObject(with: Data(try await firstMessage.value.utf8)) as? [String: Any]) ?? [:]
        #expect(message["msg_id"] as? String == "cut-short")
        #expect(message["redelivered"] as? Bool == true)

        // Now answered: a further repeat is not handled again.
        #expect(try await device.send(Self.query("cut-short")) == .success(text: "answer-1"))
        #expect(try await device.send(Self.query("fresh")) == .success(text: "answer-2"))
        #expect(hook.lines == ["cut-short 1", "fresh 0"])
        let metrics = try await server.admin.request("GET", "/metrics").bodyText
        #expect(metrics.contains("quicflow_messages_redelivered_total 1\n"), "\(metrics)")

        await device.disconnect()
        try await server.stop()
    }

    @Test("the SQLite received log: new, in progress, answered; a reopened store reports a half-handled message as interrupted; answers leave after the window, this run's running messages stay")
    func storeStates() async throws {
        let directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "received")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteReceivedLog(ServerDatabase(directory: directory))
        #expect(try await store.beginHandling(sender: "a", msgID: "1") == .new)
        #expect(try await store.beginHandling(sender: "a", msgID: "1") == .inProgress)
        // The key is the pair: another sender may reuse a msg_id.
        #expect(try await store.beginHandling(sender: "b", msgID: "1") == .new)
        try await store.recordAnswer(sender: "b", msgID: "1", .failure("no"))
        #expect(try await store.beginHandling(sender: "b", msgID: "1") == .answered(.failure("no")))

        let reopened = try SQLiteReceivedLog(ServerDatabase(directory: directory))
        #expect(try await reopened.beginHandling(sender: "a", msgID: "1") == .interrupted)
        #expect(try await reopened.beginHandling(sender: "a", msgID: "1") == .inProgress, "taken over by the new run")
        #expect(try await reopened.beginHandling(sender: "b", msgID: "1") == .answered(.failure("no")))
        #expect(try await reopened.answerCount() == 1)

        #expect(try await reopened.purge(olderThan: .seconds(60)) == 0)
        // This run's own message still being handled stays, however old.
        #expect(try await reopened.purge(olderThan: .zero) == 1)
        #expect(try await reopened.answerCount() == 0)
        #expect(try await reopened.rowCount() == 1)
        #expect(try await reopened.beginHandling(sender: "b", msgID: "1") == .new)
        #expect(try await reopened.beginHandling(sender: "a", msgID: "1") == .inProgress)
    }

    @Test("concurrent messages share commits and each gets its own outcome")
    func concurrentJournal() async throws {
        let store = try SQLiteReceivedLog(ServerDatabase(directory: nil))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<10 {
                group.addTask {
                    for n in 0..<200 {
                        #expect(try await store.beginHandling(sender: "s\(worker)", msgID: "m\(n)") == .new)
                        try await store.recordAnswer(sender: "s\(worker)", msgID: "m\(n)", .success(text: "\(worker)/\(n)"))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.answerCount() == 2_000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<10 {
                group.addTask {
                    for n in 0..<200 {
                        let lookup = try await store.beginHandling(sender: "s\(worker)", msgID: "m\(n)")
                        #expect(lookup == .answered(.success(text: "\(worker)/\(n)")))
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
