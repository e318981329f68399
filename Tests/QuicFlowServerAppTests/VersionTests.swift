import Foundation
import QUICTestSupport
import Testing

/// `--version` on each daemon and the CLI: the release version and the commit
/// they were built from, so an operator can tell which build a device runs.
@Suite("--version")
struct VersionTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test("quicflow-agent, quicflow-server and quicflowctl print VERSION and the git commit", arguments: [
        ("quicflow-agent", "QUICFLOW_AGENT_BIN"), ("quicflow-server", "QUICFLOW_SERVER_BIN"),
        ("quicflowctl", "QUICFLOW_CTL_BIN"),
    ])
    func version(name: String, override: String) async throws {
        let version = try String(contentsOfFile: Self.repository + "/VERSION", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let git = try await BuiltExecutable(path: "/usr/bin/git").run(["-C", Self.repository, "rev-parse", "--short=12", "HEAD"])
        #expect(git.status == 0, "\(git)")
        let commit = git.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(commit.count == 12)

        let run = try await BuiltExecutable(name, environmentOverride: override).run(["--version"])
        #expect(run.status == 0, "\(run)")
        // `-dirty` follows when the tree had uncommitted changes at build time.
        #expect(run.stdout.hasPrefix("\(version) (commit \(commit)"), "\(run)")
    }
}
