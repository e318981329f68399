import ArgumentParser
import Foundation
import QuicFlowCtl

/// Ends a command: prints `quicflowctl: MESSAGE` to standard error and exits
/// with `status`.
struct CtlFailure: Error {
    let status: CtlExitStatus
    let message: String

    init(_ status: CtlExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    /// Runs `body`, turning failures into their message and exit status.
    static func reporting(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as CtlFailure {
            printError(failure.message)
            throw ExitCode(failure.status.rawValue)
        } catch let error as AdminClientError {
            printError(error.message)
            throw ExitCode(CtlExitStatus.requestFailed.rawValue)
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
