import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowCtl
@testable import QuicFlowServerApp
import Testing

@Suite("Event stream resume (Last-Event-ID)", .serialized, .timeLimit(.minutes(1)))
struct EventResumeTests {
    static let server = BuiltExecutable("quicflow-server", environmentOverride: "QUICFLOW_SERVER_BIN")
    static let ctl = BuiltExecutable("quicflowctl", environmentOverride: "QUICFLOW_CTL_BIN")

    @Test("the hub replays the kept events after a Last-Event-ID, and says plainly when some are gone")
    func hubReplay() {
        let hub = EventHub(firstEventID: 1_000)
        for index in 0..<(EventHub.replayCapacity + 10) {
            var event = ServerEvent("message")
            event.msgID = "m-\(index)"
            hub.publish(event)
        }
        // Ids 1,000 ... 2,009; the last 1,000 (1,010 ... 2,009) are kept.
        let resumed = hub.subscribe(after: 2_000)
        #expect(resumed.gap == nil)
        #expect(resumed.replay.map(\.id) == Array(2_001...2_009))
        #expect(resumed.replay.first?.event.msgID == "m-1001")

        let tooOld = hub.subscribe(after: 1_004)
        #expect(tooOld.gap == "5 events after 1004 are older than the 1000 this server keeps; they were dropped")
        #expect(tooOld.replay.count == EventHub.replayCapacity && tooOld.replay.first?.id == 1_010)

        let edge = hub.subscribe(after: 1_009)
        #expect(edge.gap == nil && edge.replay.count == EventHub.replayCapacity)

        let restarted = hub.subscribe(after: 999)
        #expect(restarted.gap?.hasPrefix("the server restarted since event 999") == true)
        let foreign = hub.subscribe(after: 5_000)
        #expect(foreign.gap?.contains("not one of this server's") == true)
        #expect(hub.subscribe(after: nil).replay.isEmpty, "a new listener starts from now")
    }

    @Test("quicflowctl events reconnects with backoff when the server stops and resumes after a restart with a gap event; text keeps a multi-line payload on one line")
    func ctlReconnects() async throws {
        let harness = try ServerHarness()
        let adminPort = TestPorts.restartable()
        let arguments = [
            "serve", "--cert", harness.files.certificateFile, "--key", harness.files.keyFile,
            "--listen", "127.0.0.1:\(harness.quicPort)", "--admin-listen", "127.0.0.1:\(adminPort)",
        ]
        let first = try ServerExecutableTests.BackgroundServer(Self.server.path, arguments)
        let admin = try AdminClient(url: "http://127.0.0.1:\(adminPort)", token: nil)
        try await eventually("the first server to answer") { (try? await admin.request("GET", "/healthz").status) == 200 }

        let out = harness.directory + "/events.out"
        let err = harness.directory + "/events.err"
        let watcher = try ServerExecutableTests.BackgroundServer(
            Self.ctl.path, ["events", "--admin", "http://127.0.0.1:\(adminPort)", "--count", "3"],
            stdoutFile: out, stderrFile: err)
        @Sendable func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        try await eventually("the watcher to subscribe") { read(err).contains("following events") }

        let device = try await harness.device("device-7")
        try await harness.connect(device)
        _ = try await device.send(Message(type: .event, payload: Array("line one\nline two".utf8)))
        try await eventually("the watcher to print the event") { read(out).contains("message") }
        #expect(read(out).contains("payload=\"line one\\nline two\"") || read(out).contains("payload=line one\\nline two"), "\(read(out))")
        #expect(read(out).split(separator: "\n").count == 2, "connect and message, one line each: \(read(out))")

        first.terminate()
        #expect(await first.exited() == 0)
        try await eventually("the watcher to notice") { read(err).contains("reconnecting in") }
        let second = try ServerExecutableTests.BackgroundServer(Self.server.path, arguments)
        try await eventually(timeout: .seconds(30), "the watcher to resume") { read(err).contains("resumed after event") }
        #expect(await watcher.exited() == 0, "--count 3 reached with the gap event: \(read(out))\n\(read(err))")
        let lines = read(out).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.last?.contains("gap error=\"the server restarted since event") == true, "\(read(out))")
        second.terminate()
        _ = await second.exited()
        await device.disconnect()
    }
}
