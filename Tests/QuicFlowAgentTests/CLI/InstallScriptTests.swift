import Foundation
import QuicFlow
import QuicFlowAgent
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension AgentExecutableTests {
    @Suite("scripts/install-agent.sh")
    struct InstallScriptTests {
        static let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path

        @Test("installs the binary, a 0600 config, a 0700 data directory, the example handler and a systemd unit; never overwrites a config")
        func install() async throws {
            let root = try TemporaryDirectory()
            let user = String(cString: getpwuid(getuid())!.pointee.pw_name)
            let arguments = [
                Self.repository + "/scripts/install-agent.sh", "--binary", AgentExecutable.path,
                "--prefix", root.file("usr"), "--config-dir", root.file("etc"), "--data-dir", root.file("data"),
                "--unit-dir", root.file("units"), "--user", user, "--no-systemctl",
            ]
            let first = try await ChildProcess.run("/bin/bash", arguments)
            #expect(first.status == 0)

            #expect(try mode(root.file("usr/bin/quicflow-agent")) == 0o755)
            #expect(try mode(root.file("usr/lib/quicflow/handlers/command")) == 0o755)
            #expect(try mode(root.file("etc/agent.conf")) == 0o600)
            #expect(try mode(root.file("data")) == 0o700)
            let unit = try String(contentsOfFile: root.file("units/quicflow-agent.service"), encoding: .utf8)
            #expect(unit.contains("Restart=on-failure"))
            #expect(unit.contains("RestartPreventExitStatus=78"))
            #expect(unit.contains("User=\(user)"))
            #expect(unit.contains("ExecStart=\(root.file("usr/bin/quicflow-agent")) run --config \(root.file("etc/agent.conf"))"))
            #expect(!unit.contains("@"))

            // The installed configuration is valid and points at the installed paths.
            let config = try String(contentsOfFile: root.file("etc/agent.conf"), encoding: .utf8)
            #expect(config.contains("data_dir = \"\(root.file("data"))\""))
            #expect(config.contains(root.file("usr/lib/quicflow/handlers/command")))
            let check = try await AgentExecutable.run([
                "check-config", "--config", root.file("etc/agent.conf"),
            ])
            #expect(check.status == 0, "\(check.stderr)")

            // The example handler answers like any handler.
            let outcome = await HandlerRunner().run(
                try HandlerConfiguration(executable: root.file("usr/lib/quicflow/handlers/command")),
                message: IncomingMessage(msgID: "m-1", senderID: "server", type: .command, payload: Array("hi".utf8), timestamp: 0),
                clientID: "device", command: "uptime")
            #expect(outcome.status == .success, "\(outcome.error)")
            #expect(outcome.response.text.contains("command=uptime payload=hi"))
            #expect(outcome.response.text.contains("msg_id=m-1"))

            // A second install keeps the operator's edits.
            try (config + "\n# edited by the operator\n").write(toFile: root.file("etc/agent.conf"), atomically: false, encoding: .utf8)
            let second = try await ChildProcess.run("/bin/bash", arguments)
            #expect(second.status == 0)
            #expect(try String(contentsOfFile: root.file("etc/agent.conf"), encoding: .utf8).hasSuffix("# edited by the operator\n"))
        }

        private func mode(_ path: String) throws -> mode_t {
            var info = stat()
            guard stat(path, &info) == 0 else { throw AgentTestFailure("\(path) does not exist") }
            return info.st_mode & 0o777
        }
    }
}
