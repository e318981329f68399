import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowAgent
import Testing
import QuicFlowHooks
#if canImport(Glibc)
import Glibc
#endif

extension AgentExecutableTests {
    @Suite("scripts/install-agent.sh")
    struct InstallScriptTests {
        static let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path

        @Test("installs the binary, a root-owned 0640 config that fails check-config until its placeholder is edited, a 0700 data directory, the example handler and a systemd unit; never overwrites a config")
        func install() async throws {
            let root = try TemporaryDirectory()
            let user = String(cString: getpwuid(getuid())!.pointee.pw_name)
            let arguments = [
                Self.repository + "/scripts/install-agent.sh", "--binary", AgentExecutable.path,
                "--prefix", root.file("usr"), "--config-dir", root.file("etc"), "--data-dir", root.file("data"),
                "--unit-dir", root.file("units"), "--user", user, "--no-systemctl",
            ]
            // A dpkg-query that records what the script asks for and says
            // everything is installed, so that nothing is installed for real.
            let stub = root.file("stub")
            try FileManager.default.createDirectory(atPath: stub, withIntermediateDirectories: true)
            try "#!/bin/sh\nfor last; do :; done\necho \"$last\" >> \(root.file("queried"))\nprintf 'install ok installed'\n"
                .write(toFile: stub + "/dpkg-query", atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: stub + "/dpkg-query")
            let path = stub + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            let first = try await BuiltExecutable(path: "/bin/bash").run(arguments, environment: ["PATH": path])
            #expect(first.status == 0, "\(first)")
            // --binary: a device gets the runtime libraries, never -dev packages.
            let queried = try String(contentsOfFile: root.file("queried"), encoding: .utf8).split(separator: "\n")
            #expect(queried.contains("libngtcp2-9") && queried.contains("libsqlite3-0"), "\(queried)")
            #expect(!queried.contains { $0.hasSuffix("-dev") }, "\(queried)")
            // It says what to edit, and that the check passes once that is done.
            #expect(first.stdout.contains(root.file("etc/agent.conf")), "\(first)")

            #expect(try mode(root.file("usr/bin/quicflow-agent")) == 0o755)
            #expect(try mode(root.file("usr/lib/quicflow/handlers/command")) == 0o755)
            // Readable by the agent's group, writable by root only: the agent
            // cannot rewrite its own handler list.
            #expect(try mode(root.file("etc/agent.conf")) == 0o640)
            #expect(try owner(root.file("etc/agent.conf")) == (0, getpwnam(user)!.pointee.pw_gid))
            #expect(try mode(root.file("data")) == 0o700)
            let unit = try String(contentsOfFile: root.file("units/quicflow-agent.service"), encoding: .utf8)
            #expect(unit.contains("Restart=on-failure"))
            #expect(unit.contains("RestartPreventExitStatus=78"))
            // Readiness and watchdog over sd_notify; the cgroup is killed once the agent has exited.
            #expect(unit.contains("\nType=notify\n") && unit.contains("\nWatchdogSec=30s\n") && unit.contains("\nNotifyAccess=main\n"))
            #expect(unit.contains("\nKillMode=mixed\n"))
            #expect(unit.contains("User=\(user)"))
            #expect(unit.contains("ExecStart=\(root.file("usr/bin/quicflow-agent")) run --config \(root.file("etc/agent.conf"))"))
            #expect(!unit.contains("@"))

            // The installed configuration points at the installed paths and
            // fails its check until the operator sets the server address.
            var config = try String(contentsOfFile: root.file("etc/agent.conf"), encoding: .utf8)
            #expect(config.contains("data_dir = \"\(root.file("data"))\""))
            #expect(config.contains(root.file("usr/lib/quicflow/handlers/command")))
            let check = try await AgentExecutable.run([
                "check-config", "--config", root.file("etc/agent.conf"),
            ])
            #expect(check.status == 78, "\(check.stderr)")
            #expect(check.stderr.contains("server.address: \"backbone.example.com:8474\" is the example configuration's placeholder"), "\(check.stderr)")
            #expect(check.stderr.contains("1 problem"), "only the placeholder is left to edit: \(check.stderr)")
            config = config.replacingOccurrences(of: "backbone.example.com:8474", with: "10.0.0.1:8474")
            try config.write(toFile: root.file("etc/agent.conf"), atomically: false, encoding: .utf8)
            let edited = try await AgentExecutable.run(["check-config", "--config", root.file("etc/agent.conf")])
            #expect(edited.status == 0, "\(edited.stderr)")

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
            let second = try await BuiltExecutable(path: "/bin/bash").run(arguments, environment: ["PATH": path])
            #expect(second.status == 0)
            #expect(try String(contentsOfFile: root.file("etc/agent.conf"), encoding: .utf8).hasSuffix("# edited by the operator\n"))
        }

        @Test("--help prints the usage, not the script's shell lines")
        func help() async throws {
            let help = try await BuiltExecutable(path: "/bin/bash").run([Self.repository + "/scripts/install-agent.sh", "--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("--binary"), "\(help.stdout)")
            for line in help.stdout.split(separator: "\n") {
                #expect(!line.hasPrefix("set -") && !line.contains("=$") && !line.hasPrefix("case "), "shell in the help: \(line)")
            }
        }

        private func owner(_ path: String) throws -> (uid_t, gid_t) {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let uid = (attributes[.ownerAccountID] as? NSNumber)?.uint32Value ?? .max
            let gid = (attributes[.groupOwnerAccountID] as? NSNumber)?.uint32Value ?? .max
            return (uid, gid)
        }

        private func mode(_ path: String) throws -> mode_t {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return mode_t((attributes[.posixPermissions] as? NSNumber)?.uint32Value ?? 0) & 0o777
        }
    }
}
