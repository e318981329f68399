import Foundation

/// One of this package's executables as the build made it, run as a real
/// process by tests.
///
/// SwiftPM builds every product before it runs the tests, into the
/// directory that holds the test bundle; `$OVERRIDE` (for instance
/// `QUICFLOW_CTL_BIN`) points elsewhere.
public struct BuiltExecutable: Sendable {
    /// The executable's path (a path that does not exist when it was not built).
    public let path: String

    /// Finds `name` next to the running test bundle, or at `$environmentOverride`.
    public init(_ name: String, environmentOverride: String) {
        if let override = ProcessInfo.processInfo.environment[environmentOverride], !override.isEmpty {
            path = override
            return
        }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: me).deletingLastPathComponent()
        // The runner may live inside the .xctest bundle directory.
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) {
                path = candidate
                return
            }
            directory = directory.deletingLastPathComponent()
        }
        path = "/nonexistent/\(name) (build it, or set \(environmentOverride))"
    }

    /// Any executable at `path`, run the same way (a system tool, say).
    public init(path: String) {
        self.path = path
    }

    private static let ignoreBrokenPipes: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()

    /// How one run ended and what it printed.
    public struct Run: Sendable, CustomStringConvertible {
        /// The exit status.
        public let status: Int32
        /// Standard output.
        public let stdout: String
        /// Standard error.
        public let stderr: String

        /// Status and both outputs, for failure messages.
        public var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
    }

    /// Runs the executable with `arguments` to its end.
    ///
    /// Its outputs go to temporary files, read once it has exited, so a
    /// chatty process never blocks on a full pipe.
    /// - Parameters:
    ///   - stdin: written to its standard input, which is then closed.
    ///   - environment: added to (and overriding) this process's environment.
    ///   - removing: variables taken out of the inherited environment.
    public func run(
        _ arguments: [String], stdin: [UInt8] = [], environment: [String: String] = [:], removing: [String] = []
    ) async throws -> Run {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let stdoutURL = scratch.appendingPathComponent("stdout")
        let stderrURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: stdoutURL)
        let errors = try FileHandle(forWritingTo: stderrURL)
        let input = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for name in removing { merged.removeValue(forKey: name) }
        merged.merge(environment) { $1 }
        process.environment = merged
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        let status: Int32 = try await withCheckedThrowingContinuation { ended in
            process.terminationHandler = { ended.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                ended.resume(throwing: error)
                return
            }
            // A process that exits without reading makes the write fail (EPIPE,
            // with SIGPIPE ignored) instead of killing the tests.
            Self.ignoreBrokenPipes
            if !stdin.isEmpty { try? input.fileHandleForWriting.write(contentsOf: Data(stdin)) }
            try? input.fileHandleForWriting.close()
        }
        try output.close()
        try errors.close()
        return Run(
            status: status,
            stdout: String(decoding: try Data(contentsOf: stdoutURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: stderrURL), as: UTF8.self))
    }
}
