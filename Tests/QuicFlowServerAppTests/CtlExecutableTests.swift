import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowAdminModel
import QuicFlowCtl
import QuicFlowServerApp
import Testing

/// `quicflowctl` as an operator runs it, against a server in this process.
@Suite("quicflowctl executable", .timeLimit(.minutes(1)))
struct CtlExecutableTests {
    static let ctl = BuiltExecutable("quicflowctl", environmentOverride: "QUICFLOW_CTL_BIN")
    static var rfc3339Millis: Regex<Substring> { #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/# }

    @Test("clients, client, send with its exit statuses, queue, message, broadcast, events, metrics, token errors")
    func operatorCommands() async throws {
        let harness = try ServerHarness()
        let server = try await harness.start(persistent: false)
        let tokenFile = harness.directory + "/token"
        try ServerHarness.token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let base = ["--admin", "http://127.0.0.1:\(server.admin.port)", "--token-file", tokenFile]
        func ctl(_ arguments: [String], stdin: [UInt8] = []) async throws -> BuiltExecutable.Run {
            try await Self.ctl.run(
                [arguments[0]] + base + arguments.dropFirst(), stdin: stdin,
                removing: ["QUICFLOW_ADMIN", "QUICFLOW_ADMIN_TOKEN_FILE"])
        }

        let device = try await harness.device("device-7")
        await device.register(for: .command) { message in
            switch message.text {
            case "fail": return .failure("disk full")
            case "slow":
                try await Task.sleep(for: .seconds(2))
                return .success()
            default: return .success(text: "ran " + message.text)
            }
        }
        try await harness.connect(device)

        let clients = try await ctl(["clients"])
        #expect(clients.status == 0, "\(clients)")
        #expect(clients.stdout.hasPrefix("CLIENT  "), "\(clients)")
        #expect(clients.stdout.contains("device-7  127.0.0.1:"), "\(clients)")
        let clientsJSON = try await ctl(["clients", "--json"])
        let list = try JSONDecoder().decode([ConnectedClient].self, from: Data(clientsJSON.stdout.utf8))
        #expect(list.map(\.clientID) == ["device-7"])
        // Times are RFC 3339 with milliseconds, as in every --json.
        #expect(list.allSatisfy { $0.connectedAt.wholeMatch(of: Self.rfc3339Millis) != nil }, "\(clientsJSON)")
        #expect(list.allSatisfy { $0.lastHeartbeat.wholeMatch(of: Self.rfc3339Millis) != nil }, "\(clientsJSON)")
        #expect(try await ctl(["client", "device-7"]).stdout.contains("remote address  127.0.0.1:"))
        #expect(try await ctl(["client", "device-404"]).status == 3)
        // A failure under --json is a JSON error object on stdout, with the exit status as a number.
        let absent = try await ctl(["client", "device-404", "--json"])
        #expect(absent.status == 3)
        let absentError = try JSONSerialization.jsonObject(with: Data(absent.stdout.utf8)) as? [String: Any]
        #expect(absentError?["exit_status"] as? Int == 3, "\(absent)")
        #expect((absentError?["error"] as? String)?.isEmpty == false, "\(absent)")

        let success = try await ctl(["send", "device-7", "--type", "command", "--payload", "reboot"])
        #expect(success.status == 0, "\(success)")
        #expect(success.stdout == "ran reboot")
        let fromStdin = try await ctl(["send", "device-7", "--payload-file", "-"], stdin: Array("from stdin".utf8))
        #expect(fromStdin.stdout == "ran from stdin", "\(fromStdin)")
        let failure = try await ctl(["send", "device-7", "--payload", "fail"])
        #expect(failure.status == 1, "\(failure)")
        #expect(failure.stderr.contains("disk full"))
        let timeout = try await ctl(["send", "device-7", "--payload", "slow", "--timeout", "200ms"])
        #expect(timeout.status == 2, "\(timeout)")
        let offline = try await ctl(["send", "device-404", "--payload", "x"])
        #expect(offline.status == 3, "\(offline)")
        #expect(offline.stderr.contains("--queue-if-offline"))
        let noWait = try await ctl(["send", "device-7", "--payload", "fire", "--no-wait", "--json"])
        #expect(noWait.status == 0)
        #expect(try JSONDecoder().decode(MessageReply.self, from: Data(noWait.stdout.utf8)).status == "sent")

        let queued = try await ctl(["send", "device-404", "--payload", "later", "--queue-if-offline", "--ttl", "1h", "--json"])
        #expect(queued.status == 0, "\(queued)")
        let queuedID = try JSONDecoder().decode(MessageReply.self, from: Data(queued.stdout.utf8)).msgID
        let message = try await ctl(["message", queuedID])
        #expect(message.stdout.contains("state      queued"), "\(message)")
        #expect(try await ctl(["message", "no-such-id"]).status == 3)

        let usage = try await ctl(["send", "device-7", "--payload", "a", "--payload-file", "b"])
        #expect(usage.status == 64, "\(usage)")

        let broadcast = try await ctl(["broadcast", "--type", "event", "--payload", "hello"])
        #expect(broadcast.stdout == "reached 1 clients\n", "\(broadcast)")
        #expect(try await ctl(["metrics"]).stdout.contains("quicflow_connected_clients"))
        // Prometheus text has no JSON form here: the flag is refused, not ignored.
        let metricsJSON = try await ctl(["metrics", "--json"])
        #expect(metricsJSON.status == 64, "\(metricsJSON)")
        #expect(metricsJSON.stderr.contains("Prometheus text format only"), "\(metricsJSON)")

        // events --count 2: the device's disconnect and reconnect.
        async let events = ctl(["events", "--count", "2", "--json"])
        try await eventually("the events listener subscribed") { server.app.eventListenerCount > 0 }
        await device.disconnect()
        try await harness.connect(device)
        let followed = try await events
        #expect(followed.status == 0, "\(followed)")
        let names = followed.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["event"] as? String
        }
        #expect(names == ["disconnect", "connect"], "\(followed)")
        let eventTimes = followed.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["time"] as? String
        }
        #expect(eventTimes.count == 2 && eventTimes.allSatisfy { $0.wholeMatch(of: Self.rfc3339Millis) != nil }, "\(followed)")

        // Token problems are request failures (4) with a message.
        let wrongToken = harness.directory + "/wrong"
        try "nope".write(toFile: wrongToken, atomically: true, encoding: .utf8)
        let refused = try await Self.ctl.run(["clients", "--admin", "http://127.0.0.1:\(server.admin.port)", "--token-file", wrongToken])
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("401"))
        let missing = try await Self.ctl.run(["clients", "--admin", "http://127.0.0.1:\(server.admin.port)", "--token-file", "/nonexistent"])
        #expect(missing.status == 4)
        #expect(missing.stderr.contains("/nonexistent"))
        // A token file written on Windows (CRLF) or with trailing blanks works.
        let crlfToken = harness.directory + "/crlf"
        try (ServerHarness.token + " \r\n").write(toFile: crlfToken, atomically: true, encoding: .utf8)
        let crlf = try await Self.ctl.run(["clients", "--admin", "http://127.0.0.1:\(server.admin.port)", "--token-file", crlfToken])
        #expect(crlf.status == 0, "\(crlf)")
        let spaced = harness.directory + "/spaced"
        try "two words\n".write(toFile: spaced, atomically: true, encoding: .utf8)
        let refusedToken = try await Self.ctl.run(["clients", "--admin", "http://127.0.0.1:\(server.admin.port)", "--token-file", spaced])
        #expect(refusedToken.status == 4)
        #expect(refusedToken.stderr.contains("U+20 at position 4"), "\(refusedToken)")
        let unreachable = try await Self.ctl.run(["clients", "--admin", "http://127.0.0.1:1", "--token-file", tokenFile])
        #expect(unreachable.status == 4)
        #expect(unreachable.stderr.contains("cannot talk to the admin API"))

        await device.disconnect()
        try await server.stop()
    }
}
