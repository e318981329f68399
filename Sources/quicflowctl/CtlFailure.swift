import ArgumentParser
import Foundation
import QuicFlowCtl
import QuicFlowJSON

/// Ends a command: prints `quicflowctl: MESSAGE` to standard error and exits
/// with `status`.
struct CtlFailure: Error {
    let status: CtlExitStatus
    let message: String

    init(_ status: CtlExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    /// Runs `body`, turning failures into their message (on standard error)
    /// and exit status; with `json`, also into a ``JSONErrorObject`` on
    /// standard output, so that `--json` always prints JSON.
    static func reporting(json: Bool = false, _ body: () async throws -> Void) async throws {
        func fail(_ message: String, _ status: CtlExitStatus) -> ExitCode {
            printError(message)
            if json { printOut(JSONOutput.line(JSONErrorObject(error: message, exitStatus: status.rawValue)) + "\n") }
            return ExitCode(status.rawValue)
        }
        do {
            try await body()
        } catch let failure as CtlFailure {
            throw fail(failure.message, failure.status)
        } catch let error as AdminClientError {
            throw fail(error.message, .requestFailed)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw fail("\(error)", .requestFailed)
        }
    }

    /// The failure for an error answer of the API: 404 → offline, others → request failed.
    static func from(_ reply: AdminReply, notFound: CtlExitStatus = .requestFailed) -> CtlFailure {
        let message = AdminErrorBody.message(reply)
        switch reply.status {
        case 401: return CtlFailure(.requestFailed, "the admin API refused the token (401): give --token-file with the server's token")
        case 404: return CtlFailure(notFound, message)
        default: return CtlFailure(.requestFailed, "the admin API answered \(reply.status): \(message)")
        }
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data("quicflowctl: \(text)\n".utf8))
    }
}

/// Writes text to standard output as it is (no extra newline).
func printOut(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
