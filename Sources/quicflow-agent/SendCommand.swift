import QuicFlowConfigFile
import ArgumentParser
import Foundation
import QuicFlow
import QuicFlowAgent
import QuicFlowJSON

/// `quicflow-agent send`: puts one message in the outbox.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Queue a message for the backbone; returns once it is committed to the outbox.",
        discussion: """
            Works whether the agent is running or not: the running agent picks the message up within \
            100 ms, otherwise it goes out when the agent next connects. The payload is --payload, \
            --payload-file, or standard input. Prints the message id.

            With --wait, also waits for the server's ACK: the result goes to standard output, the \
            status to standard error; exit 0 for SUCCESS, 1 for FAILURE (the message stays queued \
            and is sent again after its backoff: only SUCCESS takes it out), 2 when --timeout \
            passes first (the message stays queued). Exit 3 when the outbox is full (nothing is \
            stored).
            """
    )

    @OptionGroup var options: ConfigOption

    @Option(help: ArgumentHelp("event, query, command or response.", valueName: "type"))
    var type: String

    @Option(help: ArgumentHelp("The payload text.", valueName: "text"))
    var payload: String?

    @Option(help: ArgumentHelp("Read the payload from this file.", valueName: "file"))
    var payloadFile: String?

    @Flag(help: "Wait for the server's ACK and print it.")
    var wait = false

    @Option(help: ArgumentHelp("How long --wait waits.", valueName: "duration"))
    var timeout: String = "60s"

    @Flag(help: "Print the outcome as JSON.")
    var json = false

    func validate() throws {
        if payload != nil && payloadFile != nil {
            throw ValidationError("give --payload or --payload-file, not both")
        }
        if MessageType(rawValue: type) == nil || type == "ping" || type == "pong" {
            throw ValidationError("--type \(type) is not a message type; use event, query, command or response")
        }
    }

    func run() async throws {
        try await CommandFailure.reporting(json: json) {
            let waitLimit: Duration
            do throws(ConfigurationError) {
                waitLimit = try DurationParser.parse(timeout)
            } catch {
                throw CommandFailure(.failure, "--timeout: \(error.message)")
            }
            let configuration = try options.load()
            let bytes = try readPayload()
            guard bytes.count <= AgentConfiguration.maxPayloadSize else {
                throw CommandFailure(.failure, "the payload is \(bytes.count) bytes; at most \(AgentConfiguration.maxPayloadSize) can be sent in one message. Nothing was queued")
            }
            let outbox = try Outbox(path: configuration.outboxPath, maxMessages: configuration.outbox.maxMessages)
            let message = try await outbox.enqueue(type: MessageType(rawValue: type)!, payload: bytes)
            // The counts a lost outbox is reported with; the message is stored either way.
            try? await outbox.recordSnapshot()
            guard wait else {
                if json {
                    print(JSONOutput.line(SendOutcome(msgID: message.msgID, status: "queued")))
                } else {
                    print(message.msgID)
                }
                return
            }
            try await waitForAnswer(message.msgID, in: outbox, limit: waitLimit)
        }
    }

    private func readPayload() throws -> [UInt8] {
        if let payload { return Array(payload.utf8) }
        if let payloadFile {
            guard let data = FileManager.default.contents(atPath: payloadFile) else {
                throw CommandFailure(.failure, "cannot read --payload-file \(payloadFile): \(String(cString: strerror(errno))); nothing was queued")
            }
            return [UInt8](data)
        }
        return [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    }

    private func waitForAnswer(_ msgID: String, in outbox: Outbox, limit: Duration) async throws {
        switch try await outbox.settlement(of: msgID, timeout: limit) {
        case .answered(let entry)?:
            try report(entry)
        case .queued(let row)? where row.state != .dead:
            // The backbone answered FAILURE: reported now, while the message
            // stays queued and goes again after its backoff.
            let error = row.lastError ?? ""
            if json {
                var outcome = SendOutcome(msgID: msgID, status: "failure", result: [], error: error)
                outcome.state = "retrying"
                print(JSONOutput.line(outcome))
            } else {
                FileHandle.standardError.write(Data("\(msgID): failure: \(error); it stays in the outbox and is sent again after its backoff (see `quicflow-agent status`)\n".utf8))
            }
            throw ExitCode(CommandFailure.Status.failure.rawValue)
        case .queued(let row)?:
            throw CommandFailure(.failure, "\(msgID) was given up (dead): \(row.lastError ?? "no reason recorded"); `quicflow-agent outbox retry` queues it again")
        case .unknown?:
            throw CommandFailure(.failure, "\(msgID) is no longer in the outbox or its history (purged?)")
        case nil:
            throw CommandFailure(.timeout, "no answer for \(msgID) within \(timeout); it stays queued and the agent delivers it when it can (see `quicflow-agent status`)")
        }
    }

    private func report(_ entry: OutboxHistoryEntry) throws {
        if json {
            print(JSONOutput.line(SendOutcome(msgID: entry.msgID, status: entry.status.rawValue, result: entry.result, error: entry.error)))
        } else {
            FileHandle.standardOutput.write(Data(entry.result))
            let error = entry.error.isEmpty ? "" : ": \(entry.error)"
            FileHandle.standardError.write(Data("\(entry.msgID): \(entry.status.rawValue)\(error)\n".utf8))
        }
        switch entry.status {
        case .success: return
        case .failure: throw ExitCode(CommandFailure.Status.failure.rawValue)
        case .timeout: throw ExitCode(CommandFailure.Status.timeout.rawValue)
        }
    }
}
