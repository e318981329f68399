public import Foundation

/// A peer written in Python on aioquic (an implementation nobody here
/// wrote), run as a real subprocess from the venv that scripts/test.sh
/// creates (`$QUICFLOW_PYTHON`, else `.venv/bin/python` at the package root).
///
/// The scripts exit when their stdin reaches EOF, so ``stop()`` (or the
/// test process dying) never leaves one behind.
public final class PythonPeer: Sendable {
    private let process: Process
    private let stdin: Pipe
    private let stdout: Pipe

    /// The Python with aioquic.
    public static func python(packageRoot: URL) throws -> String {
        let path =
            ProcessInfo.processInfo.environment["QUICFLOW_PYTHON"] ?? packageRoot.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw PythonPeerError("no Python with aioquic at \(path): run scripts/test.sh, which creates .venv")
        }
        return path
    }

    /// Starts `script` with `arguments`; its stderr goes to the test's.
    public init(script: URL, arguments: [String]) throws {
        // Sources/QUICTestSupport/PythonPeer.swift → the package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.python(packageRoot: root))
        process.arguments = [script.path] + arguments
        stdin = Pipe()
        stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
    }

    /// The process id.
    public var pid: Int32 { process.processIdentifier }

    /// Reads stdout line by line on a thread of its own (the read blocks).
    public func lines() -> AsyncStream<String> {
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

    /// Writes one line to the peer's stdin.
    public func send(line: String) throws {
        try stdin.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Waits for the process to exit and returns its status.
    public func exitStatus() async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [process] in
                process.waitUntilExit()
                continuation.resume(returning: process.terminationStatus)
            }
        }
    }

    /// Ends the peer: closing stdin makes it exit; terminate is the backstop.
    public func stop() {
        try? stdin.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
    }
}
