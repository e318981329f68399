import ArgumentParser
import Foundation
import QuicFlowAgent
import QuicFlowJSON

/// An error a subcommand ends with: its message goes to standard error and
/// its exit status says what kind of failure it was.
struct CommandFailure: Error, CustomStringConvertible {
    /// The exit statuses `quicflow-agent` documents.
    enum Status: Int32 {
        case failure = 1
        case timeout = 2
        case outboxFull = 3
        /// EX_CONFIG from sysexits.h; systemd's unit does not restart on it.
        case invalidConfiguration = 78
    }

    let status: Status
    let message: String

    init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// The exit status matching an agent error.
    init(_ error: AgentError) {
        switch error.code {
        case .outboxFull: self.init(.outboxFull, error.message)
        case .invalidConfiguration: self.init(.invalidConfiguration, error.message)
        default: self.init(.failure, error.message)
        }
    }

    var description: String { message }

    /// Runs `body`, turning a failure into its message on standard error and
    /// its exit status; with `json`, also into a ``JSONErrorObject`` on
    /// standard output, so that `--json` always prints JSON.
    static func reporting(json: Bool = false, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as CommandFailure {
            failure.print(json: json)
            throw ExitCode(failure.status.rawValue)
        } catch let error as AgentError {
            let failure = CommandFailure(error)
            failure.print(json: json)
            throw ExitCode(failure.status.rawValue)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            let failure = CommandFailure(.failure, "\(error)")
            failure.print(json: json)
            throw ExitCode(failure.status.rawValue)
        }
    }

    func print(json: Bool = false) {
        FileHandle.standardError.write(Data("quicflow-agent: \(message)\n".utf8))
        if json {
            Swift.print(JSONOutput.line(JSONErrorObject(error: message, exitStatus: status.rawValue)))
        }
    }
}
