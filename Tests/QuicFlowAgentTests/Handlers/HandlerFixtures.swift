import Foundation
import QuicFlow
import QuicFlowHooks
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private copy of the fixture handler scripts in a fresh temporary
/// directory, with the modes they need (git may not keep the execute bit).
final class HandlerFixtures {
    /// The temporary directory; removed by ``remove()``.
    let directory: String

    init() throws {
        let fileManager = FileManager.default
        directory = fileManager.temporaryDirectory
            .appendingPathComponent("quicflow-handlers-\(UUID().uuidString)").path
        try fileManager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try fileManager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
        let source = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").path
        for name in try fileManager.contentsOfDirectory(atPath: source) where name.hasSuffix(".sh") {
            let destination = path(name)
            try fileManager.copyItem(atPath: source + "/" + name, toPath: destination)
            try fileManager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: destination)
        }
    }

    /// Where the fixture (or a scratch file) called `name` is.
    func path(_ name: String) -> String {
        directory + "/" + name
    }

    /// Sets a file's permission bits.
    func chmod(_ name: String, _ mode: Int) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path(name))
    }

    /// Copies a fixture under a new name (so that a test can change its
    /// mode or owner without disturbing others).
    func copy(_ name: String, to newName: String) throws -> String {
        try FileManager.default.copyItem(atPath: path(name), toPath: path(newName))
        return path(newName)
    }

    /// A file's contents as text, or `nil` when it does not exist.
    func read(_ name: String) -> String? {
        try? String(contentsOfFile: path(name), encoding: .utf8)
    }

    /// Whether a file exists.
    func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: path(name))
    }

    /// Deletes the directory and everything in it.
    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A message as the backbone would deliver it.
    static func message(
        _ text: String,
        msgID: String = "msg-1",
        senderID: String = "server-1",
        type: MessageType = .command
    ) -> IncomingMessage {
        IncomingMessage(msgID: msgID, senderID: senderID, type: type, payload: Array(text.utf8), timestamp: 0)
    }

    /// Whether process `pid` has ended: `kill(pid, 0)` fails with ESRCH, or
    /// (Linux) it is a zombie. An orphaned grandchild is reparented to init,
    /// and an init that does not reap (as in some containers) leaves it a
    /// zombie: dead, but still answering `kill(pid, 0)`.
    static func hasEnded(_ pid: pid_t) -> Bool {
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[close...].dropFirst(2).first == "Z"
    }

    /// Polls `condition` until it holds or `timeout` passes.
    static func wait(
        upTo timeout: Duration, for condition: () -> Bool
    ) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while clock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}
