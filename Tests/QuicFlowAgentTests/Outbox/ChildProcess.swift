import Foundation

/// Runs another program to completion without blocking a test's thread.
enum ChildProcess {
    /// The sqlite3 command-line shell, when this machine has one.
    static let sqlite3: String? = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs `executable` with `arguments`, feeding `input` on stdin.
    static func run(_ executable: String, _ arguments: [String], input: String = "") async throws -> (reason: Process.TerminationReason, status: Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = FileHandle.nullDevice
        return try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { process in
                continuation.resume(returning: (process.terminationReason, process.terminationStatus))
            }
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
                return
            }
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
    }
}
