import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowCtl
import Testing

/// `quicflow-server serve` as a real process.
/// Serialized: its tests start a dozen server processes, which would
/// starve the timing-sensitive tests beside them on two cores.
@Suite("quicflow-server executable", .serialized, .timeLimit(.minutes(1)))
struct ServerExecutableTests {
    static let server = BuiltExecutable("quicflow-server", environmentOverride: "QUICFLOW_SERVER_BIN")

    @Test("invalid settings exit 78 and say what to fix")
    func invalidSettings() async throws {
        let harness = try ServerHarness()
        let config = harness.directory + "/server.conf"
        try """
            [server]
            listen = "127.0.0.1:1"
            max_clients = -1
            [heartbeat]
            timeout = 45
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let broken = try await Self.server.run(["serve", "--config", config])
        #expect(broken.status == 78, "\(broken)")
        #expect(broken.stderr.contains("server.max_clients: must be at least 1"), "\(broken)")
        #expect(broken.stderr.contains("heartbeat.timeout: expected a duration string"), "\(broken)")

        let noCert = try await Self.server.run(["serve"])
        #expect(noCert.status == 78)
        #expect(noCert.stderr.contains("--cert and --key"), "\(noCert)")
        let missingCert = try await Self.server.run(["serve", "--cert", "/nonexistent/server.crt", "--key", harness.files.keyFile])
        #expect(missingCert.status == 78)
        #expect(missingCert.stderr.contains("/nonexistent/server.crt"), "\(missingCert)")
        #expect(missingCert.stderr.contains("has 1 problem:"), "named once: \(missingCert)")
        let openAdmin = try await Self.server.run([
            "serve", "--cert", harness.files.certificateFile, "--key", harness.files.keyFile, "--admin-listen", "0.0.0.0:0",
        ])
        #expect(openAdmin.status == 78)
        #expect(openAdmin.stderr.contains("--admin-token-file"), "\(openAdmin)")

        // A token file the server would read wrongly is refused at start, by the process.
        let spaced = harness.directory + "/spaced.token"
        try "two words\n".write(toFile: spaced, atomically: true, encoding: .utf8)
        let badToken = try await Self.server.run([
            "serve", "--cert", harness.files.certificateFile, "--key", harness.files.keyFile, "--admin-token-file", spaced,
        ])
        #expect(badToken.status == 78, "\(badToken)")
        #expect(badToken.stderr.contains(spaced) && badToken.stderr.contains("U+20 at position 4"), "\(badToken)")
    }

    @Test("an on-message hook that is missing, not executable or world-writable: serve exits 78 and names it")
    func unusableHook() async throws {
        let harness = try ServerHarness()
        let notExecutable = harness.directory + "/plain-hook.sh"
        try "#!/bin/sh\ncat\n".write(toFile: notExecutable, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: notExecutable)
        let worldWritable = harness.directory + "/open-hook.sh"
        try "#!/bin/sh\ncat\n".write(toFile: worldWritable, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: worldWritable)
        let cases = [
            ("/nonexistent/hook", "does not exist"),
            (notExecutable, "is not executable"),
            (worldWritable, "world-writable"),
        ]
        for (hook, reason) in cases {
            let run = try await Self.server.run([
                "serve", "--cert", harness.files.certificateFile, "--key", harness.files.keyFile,
                "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--on-message", hook,
            ])
            #expect(run.status == 78, "\(hook): \(run)")
            #expect(run.stderr.contains("on-message hook"), "\(run)")
            #expect(run.stderr.contains(hook) && run.stderr.contains(reason), "\(run)")
        }
    }

    @Test("check-config takes serve's file and flags, finds a certificate/key mismatch, a non-PEM client CA, an unreadable token file and an unusable hook at once (exit 78), and says ok for settings serve accepts")
    func checkConfig() async throws {
        let harness = try ServerHarness()
        let authority = try TestCertificateAuthority()
        let other = try authority.writeFiles(
            for: try authority.issue(commonName: "localhost", dnsNames: ["localhost"]), in: harness.directory, name: "other")
        let notPEM = harness.directory + "/clients.txt"
        try "not a certificate\n".write(toFile: notPEM, atomically: true, encoding: .utf8)
        let config = harness.directory + "/server.conf"
        try """
            [server]
            listen = "127.0.0.1:0"
            cert = "\(harness.files.certificateFile)"
            key = "\(other.keyFile)"
            client_ca = "\(notPEM)"
            [admin]
            listen = "127.0.0.1:0"
            token_file = "\(harness.directory)/missing.token"
            [hooks]
            on_message = "/nonexistent/hook"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let broken = try await Self.server.run(["check-config", "--config", config])
        #expect(broken.status == 78, "\(broken)")
        #expect(broken.stderr.contains("4 problems"), "\(broken)")
        #expect(broken.stderr.contains("server.cert: loading key '\(other.keyFile)' with certificate '\(harness.files.certificateFile)': The certificate and the given key do not match"), "\(broken)")
        #expect(broken.stderr.contains("server.client_ca: CA file '\(notPEM)' holds no PEM certificate"), "\(broken)")
        #expect(broken.stderr.contains("admin.token_file: cannot read the admin token file \(harness.directory)/missing.token"), "\(broken)")
        #expect(broken.stderr.contains("hooks.on_message: the on-message hook: handler executable /nonexistent/hook does not exist"), "\(broken)")
        // serve refuses the same settings the same way, before it listens.
        let serve = try await Self.server.run(["serve", "--config", config])
        #expect(serve.status == 78, "\(serve)")
        #expect(serve.stderr.contains("The certificate and the given key do not match"), "\(serve)")

        // Flags override the file, as for serve.
        let token = harness.directory + "/admin.token"
        try "s3cret-token\r\n".write(toFile: token, atomically: true, encoding: .utf8)
        let fixed = try await Self.server.run([
            "check-config", "--config", config, "--key", harness.files.keyFile, "--client-ca", harness.files.caFile,
            "--admin-token-file", token, "--on-message", "/bin/cat",
        ])
        #expect(fixed.status == 0, "\(fixed)")
        #expect(fixed.stdout.contains("ok (QUIC 127.0.0.1:0, admin 127.0.0.1:0, on-message /bin/cat"), "\(fixed)")
    }

    @Test("--log-format json: every line is one JSON object; a server without client certificates warns that any client can claim any id, one with them does not")
    func logFormat() async throws {
        let harness = try ServerHarness()
        let log = harness.directory + "/server.log"
        let common = [
            "serve", "--cert", harness.files.certificateFile, "--key", harness.files.keyFile,
            "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
        ]
        let open = try BackgroundServer(Self.server.path, common + ["--log-format", "json"], stderrFile: log)
        try await eventually("the server to say it listens") {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("quicflow-server listening")
        }
        open.terminate()
        #expect(await open.exited() == 0)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let objects = lines.map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] }
        #expect(!objects.isEmpty && objects.allSatisfy { $0 != nil }, "every line JSON: \(lines)")
        let warning = objects.compactMap { $0 }.first { $0["message"]?.hasPrefix("clients are not authenticated") == true }
        #expect(warning?["level"] == "warning", "\(lines)")
        let messages = objects.compactMap { $0?["message"] }
        #expect(messages.contains("quicflow-server listening"), "\(lines)")

        let secured = try BackgroundServer(
            Self.server.path, common + ["--client-ca", harness.files.caFile, "--require-client-cert"], stderrFile: log)
        try await eventually("the secured server to say it listens") {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("quicflow-server listening")
        }
        secured.terminate()
        #expect(await secured.exited() == 0)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(!text.contains("not authenticated"), "\(text)")
        // Text lines: the message comes right after the level and label.
        #expect(text.contains(" notice quicflow.server: quicflow-server listening "), "\(text)")

        let badFormat = try await Self.server.run(common + ["--log-format", "yaml"])
        #expect(badFormat.status == 78)
        #expect(badFormat.stderr.contains("--log-format yaml is not a format; use text or json"), "\(badFormat)")
    }

    @Test("Type=notify: READY=1 with the addresses once both listeners are bound, WATCHDOG=1 while it runs, STOPPING=1 on SIGTERM")
    func systemdNotify() async throws {
        let harness = try ServerHarness()
        let socket = try NotifySocket()
        let server = try BackgroundServer(
            Self.server.path,
            ["serve", "--cert", harness.files.certificateFile, "--key", harness.files.keyFile,
             "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"],
            environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "400000"])
        var notifications = socket.notifications.makeAsyncIterator()
        let ready = await notifications.next()
        #expect(ready?.hasPrefix("READY=1\nSTATUS=listening: QUIC 127.0.0.1:") == true, "\(ready ?? "nothing")")
        #expect(ready?.contains(", admin 127.0.0.1:") == true, "\(ready ?? "nothing")")
        #expect(await notifications.next() == "WATCHDOG=1")
        #expect(await notifications.next() == "WATCHDOG=1")
        server.terminate()
        var last: String?
        while let next = await notifications.next() {
            last = next
            if next == "STOPPING=1" { break }
        }
        #expect(last == "STOPPING=1")
        #expect(await server.exited() == 0)
        socket.close()
    }

    @Test("a second server on the same data directory exits 1 and names the first one's pid")
    func oneServerPerDataDirectory() async throws {
        let harness = try ServerHarness()
        let arguments = [
            "serve", "--cert", harness.files.certificateFile, "--key", harness.files.keyFile,
            "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--data-dir", harness.dataDirectory,
            "--log-level", "warning",
        ]
        let first = try BackgroundServer(Self.server.path, arguments)
        let lockFile = harness.dataDirectory + "/server.lock"
        try await eventually("the first server to take the lock") {
            (try? String(contentsOfFile: lockFile, encoding: .utf8)) == "\(first.pid)\n"
        }
        let second = try await Self.server.run(arguments)
        #expect(second.status == 1, "\(second)")
        #expect(second.stderr.contains("another quicflow-server (pid \(first.pid)) is already running with --data-dir \(harness.dataDirectory)"), "\(second)")
        first.terminate()
        #expect(await first.exited() == 0, "the first server ran on and stopped cleanly")
        // Once the first is gone the directory is free again.
        let third = try BackgroundServer(Self.server.path, arguments)
        try await eventually("the next server to take the lock") {
            (try? String(contentsOfFile: lockFile, encoding: .utf8)) == "\(third.pid)\n"
        }
        third.terminate()
        _ = await third.exited()
    }

    @Test("a port already in use is named with its address and setting, without a bogus store error")
    func portsInUse() async throws {
        let harness = try ServerHarness()
        let quicPort = TestPorts.restartable()
        let adminPort = TestPorts.restartable()
        let certificate = ["--cert", harness.files.certificateFile, "--key", harness.files.keyFile]
        let first = try BackgroundServer(
            Self.server.path, ["serve"] + certificate + ["--listen", "127.0.0.1:\(quicPort)", "--admin-listen", "127.0.0.1:\(adminPort)"])
        let admin = try AdminClient(url: "http://127.0.0.1:\(adminPort)", token: nil)
        try await eventually("the first server to answer") { (try? await admin.request("GET", "/healthz").status) == 200 }

        let adminTaken = try await Self.server.run(["serve"] + certificate + ["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:\(adminPort)"])
        #expect(adminTaken.status == 1, "\(adminTaken)")
        #expect(adminTaken.stderr.contains("the admin API cannot listen on 127.0.0.1:\(adminPort): the address is already in use"), "\(adminTaken)")
        #expect(adminTaken.stderr.contains("--admin-listen"))
        #expect(!adminTaken.stderr.contains("bind(descriptor"), "\(adminTaken)")

        let quicTaken = try await Self.server.run(
            ["serve"] + certificate + ["--listen", "127.0.0.1:\(quicPort)", "--admin-listen", "127.0.0.1:0", "--data-dir", harness.dataDirectory])
        #expect(quicTaken.status == 1, "\(quicTaken)")
        #expect(quicTaken.stderr.contains("the backbone cannot listen on UDP 127.0.0.1:\(quicPort): the address is already in use"), "\(quicTaken)")
        #expect(quicTaken.stderr.contains("--listen"))
        #expect(!quicTaken.stderr.contains("message store"), "no store error for a busy port: \(quicTaken)")

        // check-config binds both as serve would, and names both.
        let check = try await Self.server.run(
            ["check-config"] + certificate + ["--listen", "127.0.0.1:\(quicPort)", "--admin-listen", "127.0.0.1:\(adminPort)"])
        #expect(check.status == 78, "\(check)")
        #expect(check.stderr.contains("2 problems"), "\(check)")
        #expect(check.stderr.contains("server.listen: UDP 127.0.0.1:\(quicPort) is already in use (is quicflow-server already running?)"), "\(check)")
        #expect(check.stderr.contains("admin.listen: TCP 127.0.0.1:\(adminPort) is already in use"), "\(check)")
        first.terminate()
        _ = await first.exited()
    }

    /// A `quicflow-server` in the background, awaited without blocking a thread.
    final class BackgroundServer: Sendable {
        private let process: Process
        private let ended: AsyncStream<Int32>
        let pid: Int32

        /// Starts `path`; its standard error goes to `stderrFile` when given.
        init(
            _ path: String, _ arguments: [String], stdoutFile: String? = nil, stderrFile: String? = nil,
            environment: [String: String] = [:]
        ) throws {
            process = Process()
            if !environment.isEmpty {
                process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            }
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            if let stdoutFile {
                _ = FileManager.default.createFile(atPath: stdoutFile, contents: nil)
                process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutFile))
            } else {
                process.standardOutput = FileHandle.nullDevice
            }
            if let stderrFile {
                _ = FileManager.default.createFile(atPath: stderrFile, contents: nil)
                process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrFile))
            } else {
                process.standardError = FileHandle.nullDevice
            }
            let (ended, end) = AsyncStream.makeStream(of: Int32.self)
            self.ended = ended
            process.terminationHandler = { end.yield($0.terminationStatus); end.finish() }
            try process.run()
            pid = process.processIdentifier
        }

        func terminate() {
            if process.isRunning { process.terminate() }
        }

        func exited() async -> Int32? {
            for await status in ended { return status }
            return nil
        }

        deinit {
            if process.isRunning { process.terminate() }
        }
    }

    @Test("serve from a config file with a flag overriding it; a device gets a command; SIGTERM stops it gracefully (exit 0, clients closed with code 7)")
    func serveAndStop() async throws {
        let harness = try ServerHarness()
        let adminPort = TestPorts.restartable()
        let tokenFile = harness.directory + "/token"
        try ServerHarness.token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let config = harness.directory + "/server.conf"
        try """
            [server]
            listen = "127.0.0.1:1"
            cert = "\(harness.files.certificateFile)"
            key = "\(harness.files.keyFile)"
            data_dir = "\(harness.dataDirectory)"
            [heartbeat]
            interval = "1s"
            timeout = "5s"
            [admin]
            listen = "127.0.0.1:\(adminPort)"
            token_file = "\(tokenFile)"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.server.path)
        // --listen overrides the file's unusable port 1.
        process.arguments = ["serve", "--config", config, "--listen", "127.0.0.1:\(harness.quicPort)", "--log-level", "warning"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { exited.continuation.yield($0.terminationStatus) }
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let admin = try AdminClient(url: "http://127.0.0.1:\(adminPort)", token: ServerHarness.token)
        try await eventually("the admin API answers") { (try? await admin.request("GET", "/healthz").status) == 200 }
        let device = try await harness.device("device-1")
        let stopped = AsyncStream<Void>.makeStream()
        var hooks = ClientEventHooks()
        hooks.onDisconnect = { reason in if reason.contains("code 7") { stopped.continuation.yield() } }
        await device.setHooks(hooks)
        try await harness.connect(device)
        let reply = try await admin.request(
            "POST", "/v1/clients/device-1/messages", body: Array(#"{"type": "command", "payload": "status"}"#.utf8))
        #expect(try reply.json()["result"] as? String == "ran status", "\(reply.bodyText)")
        #expect(FileManager.default.fileExists(atPath: harness.dataDirectory + "/messages.sqlite"))

        process.terminate()  // SIGTERM
        var status: Int32?
        for await code in exited.stream {
            status = code
            break
        }
        #expect(status == 0)
        for await _ in stopped.stream { break }
        await device.disconnect()
    }
}
