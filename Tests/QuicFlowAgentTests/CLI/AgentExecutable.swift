import Foundation
import QUICTestSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The built `quicflow-agent` executable, run as a real process.
enum AgentExecutable {
    /// Next to the test bundle in the build directory (SwiftPM builds every
    /// product before running tests), or `$QUICFLOW_AGENT_BIN`.
    static let path = BuiltExecutable("quicflow-agent", environmentOverride: "QUICFLOW_AGENT_BIN").path

    /// What one finished run printed and how it ended.
    struct Run: Sendable {
        let status: Int32
        let stdout: [UInt8]
        let stderr: String
        var output: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs the agent with `arguments` to completion.
    static func run(
        _ arguments: [String], stdin: [UInt8] = [], environment: [String: String] = [:]
    ) async throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        merged.removeValue(forKey: "QUICFLOW_AGENT_CONFIG")
        merged.merge(environment) { $1 }
        process.environment = merged
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { process in
                continuation.resume(returning: process.terminationStatus)
            }
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
                return
            }
            input.fileHandleForWriting.write(Data(stdin))
            try? input.fileHandleForWriting.close()
        }
        // Outputs are small; the pipes hold them until read.
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        return Run(status: status, stdout: [UInt8](out), stderr: String(decoding: err, as: UTF8.self))
    }
}

/// A long-running `quicflow-agent run`, its log in a file.
final class AgentProcess: Sendable {
    /// How the process ended.
    enum Exit: Sendable, Hashable {
        case exited(Int32)
        case signalled(Int32)
    }

    let pid: Int32
    let logPath: String
    private let exit: Task<Exit, Never>

    /// Starts `quicflow-agent run --config configPath`, logging to `logPath`.
    init(config configPath: String, logPath: String, extraArguments: [String] = [], environment: [String: String] = [:]) throws {
        let process = Process()
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.executableURL = URL(fileURLWithPath: AgentExecutable.path)
        process.arguments = ["run", "--config", configPath, "--log-level", "debug"] + extraArguments
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        let (ended, ending) = AsyncStream<Exit>.makeStream()
        process.terminationHandler = { process in
            ending.yield(process.terminationReason == .uncaughtSignal
                ? .signalled(process.terminationStatus) : .exited(process.terminationStatus))
            ending.finish()
        }
        try process.run()
        try? log.close()
        self.pid = process.processIdentifier
        self.logPath = logPath
        self.exit = Task {
            for await exit in ended { return exit }
            return .exited(-1)
        }
    }

    /// Sends `signal` to the agent.
    func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits for the process to end.
    func exited() async -> Exit {
        await exit.value
    }

    /// The agent's log so far, for failure messages.
    var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "<no log>"
    }

    deinit {
        // A test that failed half-way must not leave an agent behind.
        kill(pid, SIGKILL)
    }
}
