import Foundation
import QUICTestSupport
import QuicFlowAgent
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension AgentExecutableTests {
    /// `check-config` finds what `run` would refuse later, all at once.
    @Suite("quicflow-agent: check-config depth", .timeLimit(.minutes(1)))
    struct AgentConfigDepthTests {
        @Test("check-config reports a non-PEM CA, a certificate that does not match its key, and every unusable handler, at once, with exit 78")
        func everyProblemAtOnce() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            let authority = try TestCertificateAuthority()
            let one = try authority.writeFiles(for: try authority.issue(commonName: "cli-agent"), in: fixture.directory, name: "one")
            let other = try authority.writeFiles(for: try authority.issue(commonName: "cli-agent"), in: fixture.directory, name: "other")
            let notPEM = fixture.path("ca.txt")
            try "this is not a certificate\n".write(toFile: notPEM, atomically: true, encoding: .utf8)
            let good = try script(fixture.path("good.sh"), mode: 0o755)
            let plain = try script(fixture.path("plain.sh"), mode: 0o644)
            let open = try script(fixture.path("open.sh"), mode: 0o757)
            let foreign = try script(fixture.path("foreign.sh"), mode: 0o755)
            let runningAsRoot = geteuid() == 0
            if runningAsRoot { #expect(chown(foreign, 65534, 65534) == 0) }
            try """
                [agent]
                client_id = "deep"
                data_dir = "\(fixture.dataDirectory)"
                [server]
                address = "127.0.0.1:8474"
                ca_file = "\(notPEM)"
                cert_file = "\(one.certificateFile)"
                key_file = "\(other.keyFile)"
                [handlers.command]
                exec = "\(fixture.path("missing.sh"))"
                [handlers.query]
                exec = "\(plain)"
                [handlers.event]
                exec = "\(open)"
                [commands.foreign]
                exec = "\(foreign)"
                [commands.ghost]
                exec = "\(good)"
                user = "no-such-user-qf"
                """.write(toFile: fixture.configPath, atomically: true, encoding: .utf8)

            let check = try await fixture.cli(["check-config"])
            #expect(check.status == 78, "\(check)")
            let text = check.stderr
            #expect(text.contains("server.ca_file: CA file '\(notPEM)' holds no PEM certificate"), "\(text)")
            #expect(text.contains("server.cert_file: loading key '\(other.keyFile)' with certificate '\(one.certificateFile)'"), "\(text)")
            #expect(text.contains("handlers.command.exec: handler executable \(fixture.path("missing.sh")) does not exist"), "\(text)")
            #expect(text.contains("handlers.query.exec: handler executable \(plain) is not executable"), "\(text)")
            #expect(text.contains("handlers.event.exec: refusing to run handler executable \(open): it is world-writable"), "\(text)")
            if runningAsRoot {
                #expect(text.contains("commands.foreign.exec: refusing to run handler executable \(foreign): it is owned by another user"), "\(text)")
            }
            #expect(text.contains("commands.ghost.user: cannot run handler as user 'no-such-user-qf': no such user"), "\(text)")
            #expect(!text.contains("commands.ghost.exec"), "its file is fine: \(text)")
            #expect(text.contains(runningAsRoot ? "7 problems" : "6 problems"), "\(text)")
        }

        @Test("check-config refuses a handler's `user` the agent cannot switch to when it does not run as root")
        func userNeedsRoot() async throws {
            // A directory anyone may read, so the check can run as nobody.
            let directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "agent-user")
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
            let handler = try script(directory + "/reboot.sh", mode: 0o755)
            let config = directory + "/agent.conf"
            try """
                [agent]
                client_id = "unprivileged"
                data_dir = "\(directory)/data"
                [server]
                address = "127.0.0.1:8474"
                [commands.reboot]
                exec = "\(handler)"
                user = "root"
                """.write(toFile: config, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: config)

            let check: BuiltExecutable.Run
            if geteuid() == 0 {
                // Root may switch: the check must fail for an agent that runs as somebody else.
                let asRoot = try await AgentExecutable.run(["check-config", "--config", config])
                #expect(asRoot.status == 0, "\(asRoot)")
                check = try await BuiltExecutable(path: "/usr/bin/setpriv").run([
                    "--reuid=65534", "--regid=65534", "--clear-groups", AgentExecutable.path, "check-config", "--config", config,
                ])
            } else {
                check = try await BuiltExecutable(path: AgentExecutable.path).run(["check-config", "--config", config])
            }
            #expect(check.status == 78, "\(check)")
            #expect(check.stderr.contains("commands.reboot.user: handler \(handler) is configured to run as user 'root', but the agent is not running as root"), "\(check)")
        }

        @Test("the example's placeholder address is refused by check-config and by run, naming the key to edit")
        func placeholderAddress() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            try fixture.writeConfig(port: 8474)
            var text = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
            text = text.replacingOccurrences(of: "127.0.0.1:8474", with: "backbone.example.com:8474")
            try text.write(toFile: fixture.configPath, atomically: true, encoding: .utf8)

            let check = try await fixture.cli(["check-config"])
            #expect(check.status == 78, "\(check)")
            #expect(check.stderr.contains("server.address: \"backbone.example.com:8474\" is the example configuration's placeholder; set it to your backbone's host:port"), "\(check)")

            let agent = try fixture.startAgent()
            #expect(await agent.exited() == .exited(78), "\(agent.log)")
            #expect(agent.log.contains("server.address"), "\(agent.log)")
            for host in ["fleet.example.net", "hub.invalid", "x.example", "EXAMPLE.ORG."] {
                text = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
                    .replacing(#/address = "[^"]*"/#, with: "address = \"\(host):8474\"")
                try text.write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
                #expect(try await fixture.cli(["check-config"]).status == 78, "\(host)")
            }
            text = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
                .replacing(#/address = "[^"]*"/#, with: "address = \"example.company.com:8474\"")
            try text.write(toFile: fixture.configPath, atomically: true, encoding: .utf8)
            let real = try await fixture.cli(["check-config"])
            #expect(real.status == 0, "a real name that merely contains 'example': \(real)")
        }

        private func script(_ path: String, mode: Int) throws -> String {
            try "#!/bin/sh\necho ok\n".write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            return path
        }
    }
}
