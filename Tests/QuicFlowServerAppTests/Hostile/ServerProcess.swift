import Foundation
import QUICTestSupport
import QuicFlowCtl

/// A real `quicflow-server` process for tests that measure it from the
/// outside: its RSS from /proc, its /metrics, its admin API.
struct ServerProcess {
    static let executable = BuiltExecutable("quicflow-server", environmentOverride: "QUICFLOW_SERVER_BIN")

    let process: Process
    let admin: AdminClient
    /// The server's standard error.
    let log: String

    var pid: Int32 { process.processIdentifier }

    /// Starts the server of `harness` with `extra` lines in its [server]
    /// table and `tables` (whole TOML tables) after the rest; `name` names
    /// its configuration file, and `port` its QUIC port when it is not the
    /// harness's (the nodes of a cluster).
    static func start(
        _ harness: ServerHarness, server extra: String = "", tables: String = "", name: String = "server", port: Int? = nil
    ) async throws -> ServerProcess {
        let adminPort = TestPorts.restartable()
        let tokenFile = harness.directory + "/token"
        try ServerHarness.token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let config = harness.directory + "/\(name).conf"
        try """
            [server]
            listen = "127.0.0.1:\(port ?? harness.quicPort)"
            cert = "\(harness.files.certificateFile)"
            key = "\(harness.files.keyFile)"
            log_level = "error"
            \(extra)
            [heartbeat]
            interval = "1s"
            timeout = "10s"
            [admin]
            listen = "127.0.0.1:\(adminPort)"
            token_file = "\(tokenFile)"
            \(tables)
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.path)
        process.arguments = ["serve", "--config", config]
        // Its log goes to a file, so a crash can say why.
        let log = harness.directory + "/server-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        let admin = try AdminClient(url: "http://127.0.0.1:\(adminPort)", token: ServerHarness.token)
        try await eventually("the admin API to answer") { (try? await admin.request("GET", "/healthz").status) == 200 }
        return ServerProcess(process: process, admin: admin, log: log)
    }

    /// Whether it still runs, and the end of its log: for failure messages.
    var diagnosis: String {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let state = process.isRunning ? "running" : "exited with \(process.terminationStatus)"
        return "quicflow-server \(state); its log ends: \(text.suffix(2_000))"
    }

    /// The process's resident memory, from /proc/PID/status.
    func residentKiB() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { throw ProcessProbeError(description: "no VmRSS for \(pid)") }
        return kib
    }

    /// One sample of `name` (with its labels, e.g. `x{limit="y"}`) from /metrics.
    func metric(_ name: String) async throws -> Double {
        let reply: AdminReply
        do {
            reply = try await admin.request("GET", "/metrics")
        } catch {
            throw ProcessProbeError(description: "\(error); \(diagnosis)")
        }
        for line in reply.bodyText.split(separator: "\n") where line.hasPrefix(name + " ") {
            if let value = Double(line.dropFirst(name.count + 1)) { return value }
        }
        throw ProcessProbeError(description: "/metrics has no \(name)")
    }

    /// Sends a command through the admin API; returns the result text, or the status when it did not succeed.
    func command(_ clientID: String, _ payload: String, timeoutMilliseconds: Int = 10_000) async throws -> String {
        let reply: AdminReply
        do {
            reply = try await admin.post(
                "/v1/clients/\(clientID)/messages",
                #"{"type": "command", "payload": "\#(payload)", "timeout_ms": \#(timeoutMilliseconds)}"#)
        } catch {
            throw ProcessProbeError(description: "\(error); \(diagnosis)")
        }
        let json = try reply.json()
        if let result = json["result"] as? String, json["status"] as? String == "success" { return result }
        return json["status"] as? String ?? "HTTP \(reply.status)"
    }

    /// SIGKILL: no shutdown, no goodbyes, whatever was in flight is lost.
    func kill() {
        if process.isRunning {
            _ = Foundation.kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

struct ProcessProbeError: Error, CustomStringConvertible {
    let description: String
}
