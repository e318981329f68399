import Foundation
import QuicFlowCtl

/// A `quicflow-server` process on random loopback ports, for the workloads
/// that measure the daemon from outside (fanout, soak).
struct BenchServer {
    let process: Process
    let quicPort: Int
    let admin: AdminClient
    /// The directory of the certificate files it was started with.
    let directory: String

    var pid: Int32 { process.processIdentifier }

    /// Starts it with the files in `files`, room for `clients`, and the
    /// given heartbeat settings; returns once its admin API answers.
    static func start(
        files: BenchCertificates, clients: Int, heartbeatInterval: String, heartbeatTimeout: String,
        extraArguments: [String] = []
    ) async throws -> BenchServer {
        let quicPort = Int.random(in: 20_000...29_999)
        let adminPort = quicPort + 1
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try SiblingExecutable.path("quicflow-server"))
        process.arguments = [
            "serve", "--listen", "127.0.0.1:\(quicPort)", "--admin-listen", "127.0.0.1:\(adminPort)",
            "--cert", files.certificateFile, "--key", files.keyFile, "--max-clients", "\(clients + 100)",
            "--heartbeat-interval", heartbeatInterval, "--heartbeat-timeout", heartbeatTimeout, "--log-level", "error",
        ] + extraArguments
        try process.run()
        let admin = try AdminClient(url: "http://127.0.0.1:\(adminPort)", token: nil)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while (try? await admin.request("GET", "/healthz").status) != 200 {
            guard clock.now < deadline else {
                process.terminate()
                throw BenchError("quicflow-server did not start")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return BenchServer(process: process, quicPort: quicPort, admin: admin, directory: files.directory)
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
