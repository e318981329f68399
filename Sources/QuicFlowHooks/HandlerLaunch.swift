package import Subprocess
#if canImport(System)
package import System
#else
import SystemPackage
#endif

/// One prepared, already checked handler run: starts the process, feeds it
/// the payload and collects its output until it ends.
package struct HandlerLaunch: Sendable {
    /// How the process ended.
    package enum Termination: Sendable, Hashable {
        case exited(Int32)
        case signaled(Int32)
    }

    /// What became of the run.
    package enum Result: Sendable {
        case finished(Termination, output: HandlerOutputPrefix, errorTail: HandlerErrorTail)
        case failedToStart(String)
    }

    package let executable: String
    package let arguments: [String]
    package let environment: Environment
    package let platformOptions: PlatformOptions
    package let payload: [UInt8]
    package let maxOutput: Int

    private struct Streams: Sendable {
        var output = HandlerOutputPrefix(limit: 0)
        var errorTail = HandlerErrorTail(limit: 0)
    }

    private enum StreamEvent: Sendable {
        case inputDone
        case output(HandlerOutputPrefix)
        case errorTail(HandlerErrorTail)
    }

    /// Runs the process to its end, telling `group` its pid as soon as it
    /// has started. Stopping it on timeout is the caller's business.
    ///
    /// `started` is called with the pid before the payload is written;
    /// `exited` once the process has exited but before it is reaped, so that
    /// its pid, the id of its process group and session, stays reserved
    /// while `exited` deals with what it left in them.
    package func run(
        in group: HandlerProcessGroup,
        started: @escaping @Sendable (pid_t) async -> Void = { _ in },
        exited: @escaping @Sendable (pid_t) async -> Void = { _ in }
    ) async -> Result {
        let payload = self.payload
        let maxOutput = self.maxOutput
        do {
            let result = try await Subprocess.run(
                .path(FilePath(executable)),
                arguments: Arguments(arguments),
                environment: environment,
                platformOptions: platformOptions,
                input: .inputWriter,
                output: .sequence,
                error: .sequence
            ) { execution in
                let pid = execution.processIdentifier.value
                group.attach(pid)
                await started(pid)
                // Writing and both reads run side by side: a handler may
                // fill its output pipe before it reads its input. All three
                // end when the process ends, even if something it started
                // keeps the pipes open.
                return await withTaskGroup(of: StreamEvent.self, returning: Streams.self) { tasks in
                    tasks.addTask {
                        let writer = execution.standardInputWriter
                        do {
                            _ = try await writer.write(payload)
                        } catch {
                            // The handler exited or closed its input without
                            // reading all of it; that is its choice.
                        }
                        try? await writer.finish()
                        return .inputDone
                    }
                    tasks.addTask {
                        .output(await HandlerOutputPrefix.collect(execution.standardOutput, limit: maxOutput))
                    }
                    tasks.addTask {
                        .errorTail(
                            await HandlerErrorTail.collect(execution.standardError, limit: HandlerRunner.errorTailLimit))
                    }
                    var streams = Streams()
                    for await event in tasks {
                        switch event {
                        case .inputDone: break
                        case .output(let output): streams.output = output
                        case .errorTail(let tail): streams.errorTail = tail
                        }
                    }
                    // swift-subprocess reaps the process only after this
                    // closure returns.
                    await HandlerLeftovers.waitForExit(ofChild: pid)
                    group.markExited()
                    await exited(pid)
                    return streams
                }
            }
            let termination: Termination
            switch result.terminationStatus {
            case .exited(let code): termination = .exited(code)
            case .signaled(let signal): termination = .signaled(signal)
            }
            return .finished(termination, output: result.closureResult.output, errorTail: result.closureResult.errorTail)
        } catch {
            return .failedToStart("could not start handler \(executable): \(error)")
        }
    }
}
