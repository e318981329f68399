import Foundation
import QUICTestSupport
import QuicFlowAgent
import Testing

extension AgentExecutableTests {
    @Suite("quicflow-agent: configuration")
    struct AgentCLIConfigTests {
        @Test("check-config warns, without refusing, of a heartbeat interval a Go backbone would evict the agent for")
        func heartbeatWarning() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            let quiet = fixture.path("quiet.conf")
            try """
                [agent]
                client_id = "slow-pinger"
                data_dir = "\(fixture.dataDirectory)"
                [server]
                address = "127.0.0.1:8474"
                [heartbeat]
                interval = "30s"
                """.write(toFile: quiet, atomically: true, encoding: .utf8)
            let check = try await AgentExecutable.run(["check-config", "--config", quiet])
            #expect(check.status == 0, "\(check.stderr)")
            #expect(check.stderr.contains("warning: [heartbeat] interval is 30s, above 20s"), "\(check.stderr)")
            #expect(check.stderr.contains("Go QuicFlow backbone"))

            try fixture.writeConfig(port: 8474, extra: "")  // its interval is 1s
            let fine = try await fixture.cli(["check-config"])
            #expect(fine.status == 0)
            #expect(!fine.stderr.contains("warning"))
            let limit = try AgentConfiguration(toml: "[server]\naddress = \"h:1\"\n[heartbeat]\ninterval = \"20s\"")
            #expect(limit.warnings.isEmpty, "20 s is still within the Go backbone's limit")
            let defaults = try AgentConfiguration(toml: "[server]\naddress = \"h:1\"")
            #expect(defaults.warnings.isEmpty)
        }

        @Test("check-config accepts a valid file and names every problem of a broken one; run refuses it the same way")
        func checkConfig() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            try fixture.writeConfig(port: 8474)
            let valid = try await fixture.cli(["check-config"])
            #expect(valid.status == 0, "\(valid.stderr)")
            #expect(valid.output.contains("ok"))
            #expect(valid.output.contains("cli-agent"))

            let broken = fixture.path("broken.conf")
            try """
                [agent]
                client_id = 5
                [server]
                address = "backbone:port"
                [outbox]
                max_age = "7x"
                [handlers.command]
                exec = "relative/path"
                """.write(toFile: broken, atomically: true, encoding: .utf8)
            let check = try await AgentExecutable.run(["check-config", "--config", broken])
            #expect(check.status == 78)
            for key in ["agent.client_id", "server.address", "outbox.max_age", "handlers.command.exec"] {
                #expect(check.stderr.contains(key), "\(key) not named in: \(check.stderr)")
            }
            let run = try await AgentExecutable.run(["run", "--config", broken])
            #expect(run.status == 78)
            #expect(run.stderr == check.stderr)

            // A syntax error names its line.
            try "[agent]\nclient_id = \"x\"\n[server\n".write(toFile: broken, atomically: true, encoding: .utf8)
            let syntax = try await AgentExecutable.run(["check-config", "--config", broken])
            #expect(syntax.status == 78)
            #expect(syntax.stderr.contains("line 3"))

            // A certificate file that cannot be read is named by its key.
            try fixture.writeConfig(port: 8474, extra: "")
            var text = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
            text = text.replacingOccurrences(of: fixture.files.caFile, with: fixture.path("missing-ca.pem"))
            try text.write(toFile: broken, atomically: true, encoding: .utf8)
            let missingCA = try await AgentExecutable.run(["check-config", "--config", broken])
            #expect(missingCA.status == 78)
            #expect(missingCA.stderr.contains("server.ca_file"))
            #expect(missingCA.stderr.contains("missing-ca.pem"))
        }

        @Test("the file comes from --config, else QUICFLOW_AGENT_CONFIG; a missing file is named")
        func configLocation() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            try fixture.writeConfig(port: 8474)
            let fromEnvironment = try await AgentExecutable.run(
                ["check-config"], environment: ["QUICFLOW_AGENT_CONFIG": fixture.configPath])
            #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderr)")
            #expect(fromEnvironment.output.contains(fixture.configPath))

            let missing = fixture.path("nowhere.conf")
            let absent = try await AgentExecutable.run(["check-config", "--config", missing])
            #expect(absent.status == 78)
            #expect(absent.stderr.contains(missing))
        }
    }
}
