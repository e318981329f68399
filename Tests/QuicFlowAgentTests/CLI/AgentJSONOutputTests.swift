import Foundation
import QuicFlowAgent
import QuicFlowJSON
import Testing

extension AgentExecutableTests {
    /// Every `--json` prints JSON (an error object when the command fails),
    /// numbers as numbers and times as RFC 3339 with milliseconds.
    @Suite("quicflow-agent: --json shapes")
    struct AgentJSONOutputTests {
        static var rfc3339Millis: Regex<Substring> { #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/# }

        @Test("send --json on a full outbox prints a JSON error object with the exit status; outbox list --json has numbers and RFC 3339 times; status --json times carry milliseconds")
        func shapes() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            try fixture.writeConfig(port: 9, extra: "[outbox]\nmax_messages = 1")
            let queued = try await fixture.cli(["send", "--type", "event", "--payload", "first", "--json"])
            #expect(queued.status == 0, "\(queued.stderr)")
            let sent = try object(queued.output)
            #expect(sent["status"] as? String == "queued")
            let msgID = try #require(sent["msg_id"] as? String)

            let full = try await fixture.cli(["send", "--type", "event", "--payload", "second", "--json"])
            #expect(full.status == 3)
            let error = try object(full.output)
            #expect((error["error"] as? String)?.contains("full") == true, "\(full.output)")
            #expect(error["exit_status"] as? Int == 3, "a number: \(full.output)")

            let list = try await fixture.cli(["outbox", "list", "--json"])
            #expect(list.status == 0, "\(list.stderr)")
            let row = try object(list.output)
            #expect(row["msg_id"] as? String == msgID)
            #expect(row["attempts"] as? Int == 0, "a number: \(list.output)")
            #expect(row["payload_bytes"] as? Int == 5, "a number: \(list.output)")
            #expect(row["id"] as? Int != nil, "a number: \(list.output)")
            let created = try #require(row["created_at"] as? String)
            #expect(created.wholeMatch(of: Self.rfc3339Millis) != nil, "\(created)")
            let age = Date().timeIntervalSince(try #require(JSONTime.date(from: created)))
            #expect(age >= 0 && age < 60, "\(created)")

            try await fixture.outbox().setState(.lastDeliveryAt, "1764373874123")
            let status = try await fixture.cli(["status", "--json"])
            #expect(status.output.contains("\"last_delivery_at\" : \"2025-11-28T23:51:14.123Z\""), "\(status.output)")
            #expect(status.status == 0, "\(status.stderr)")
            let times = status.output.matches(of: #/"(\d{4}-\d\d-\d\dT[^"]*)"/#).map { String($0.output.1) }
            #expect(!times.isEmpty, "\(status.output)")
            for time in times {
                #expect(time.wholeMatch(of: Self.rfc3339Millis) != nil, "\(time) in \(status.output)")
            }

            // A failure before anything ran is JSON too.
            let broken = try await AgentExecutable.run(["status", "--json", "--config", fixture.path("missing.conf")])
            #expect(broken.status == 78)
            #expect(try object(broken.output)["exit_status"] as? Int == 78, "\(broken.output)")
        }

        private func object(_ text: String) throws -> [String: Any] {
            let line = text.split(separator: "\n").first.map(String.init) ?? ""
            return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not a JSON object: \(text)")
        }
    }
}
