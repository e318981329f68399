import Foundation
import QUICTestSupport
import QuicFlowCluster

/// A PostgreSQL of one test's own (`scripts/test-postgres.sh`), for the
/// tests that stop it: the shared one serves every other test.
struct PrivatePostgres: Sendable {
    let directory: String
    let url: ClusterDatabaseURL

    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/test-postgres.sh").path

    /// Runs the script through Python's subprocess, which closes every
    /// descriptor but the standard three: the server it starts must not
    /// inherit the pipes of processes other tests are running at the time.
    private static func script(_ command: String, _ directory: String, _ options: [String] = []) async throws -> String {
        let run = try await BuiltExecutable(path: "/usr/bin/python3").run([
            "-c", "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:], close_fds=True))",
            "/bin/bash", script, command, directory,
        ] + options)
        guard run.status == 0 else {
            throw PrivatePostgresFailed(description: "test-postgres.sh \(command) failed: \(run)")
        }
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    struct PrivatePostgresFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts one in a new temporary directory, durable (fsync and
    /// synchronous commits on): ``halt()`` crashes it, and what was
    /// committed before must survive.
    static func start() async throws -> PrivatePostgres {
        let parent = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "private-pg")
        // initdb runs as the postgres user when the tests run as root.
        chmod(parent, 0o755)
        let directory = parent + "/pg"
        let url = try await script("start", directory, ["durable"])
        return PrivatePostgres(directory: directory, url: try ClusterDatabaseURL(parsing: url))
    }

    /// Runs `body` with a new one, which is stopped and removed afterwards,
    /// also when `body` throws.
    static func with<T>(_ body: (PrivatePostgres) async throws -> T) async throws -> T {
        let postgres = try await start()
        do {
            let value = try await body(postgres)
            await postgres.stop()
            return value
        } catch {
            await postgres.stop()
            throw error
        }
    }

    /// Stops it as a crash would; its data stays.
    func halt() async throws { _ = try await Self.script("halt", directory) }

    /// Starts it again on the same port.
    func resume() async throws { _ = try await Self.script("resume", directory) }

    /// Stops it and removes its files.
    func stop() async { _ = try? await Self.script("stop", directory) }
}
