import Foundation

/// A QUIC peer written with aioquic (an implementation nobody here wrote),
/// run as a real subprocess from the venv that scripts/test.sh creates.
final class PythonPeer: Sendable {
    private let process: Process
    private let stdin: Pipe
    let stdout: Pipe

    static var peersDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Peers")
    }

    static func python() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let path = ProcessInfo.processInfo.environment["QUICFLOW_PYTHON"] ?? root.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestFailure("no Python with aioquic at \(path): run scripts/test.sh, which creates .venv")
        }
        return path
    }

    init(script: String, arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.python())
        process.arguments = [Self.peersDirectory.appendingPathComponent(script).path] + arguments
        stdin = Pipe()
        stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
    }

    /// Reads stdout line by line on a thread of its own (the read blocks).
    func lines() -> AsyncStream<String> {
        let handle = stdout.fileHandleForReading
        return AsyncStream { continuation in
            Thread.detachNewThread {
                var buffer = Data()
                while true {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    buffer.append(data)
                    while let newline = buffer.firstIndex(of: 0x0A) {
                        continuation.yield(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                        buffer.removeSubrange(buffer.startIndex...newline)
                    }
                }
                if !buffer.isEmpty { continuation.yield(String(decoding: buffer, as: UTF8.self)) }
                continuation.finish()
            }
        }
    }

    /// Waits for the process to exit and returns its status.
    func exitStatus() async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [process] in
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
        }
    }

    func stop() {
        // Closing stdin ends the peer (it watches for EOF); terminate is the backstop.
        try? stdin.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
    }
}
