import ArgumentParser
import Foundation
import QuicFlow
import QuicFlowAgent
import QuicFlowJSON
import QuicFlowTime

/// `quicflow-agent outbox list`.
struct OutboxListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List queued messages in delivery order (or, with --history, the latest answered ones)."
    )

    @OptionGroup var options: ConfigOption

    @Option(help: ArgumentHelp("Only messages in this state: pending, in_flight or dead.", valueName: "state"))
    var state: String?

    @Option(help: ArgumentHelp("At most this many.", valueName: "n"))
    var limit = 100

    @Flag(help: "List delivered messages with their answers instead, newest first.")
    var history = false

    @Flag(help: "Print JSON lines, one message per line.")
    var json = false

    func validate() throws {
        if let state, OutboxMessage.State(rawValue: state) == nil {
            throw ValidationError("--state \(state) is not a state; use pending, in_flight or dead")
        }
        if limit < 1 {
            throw ValidationError("--limit must be at least 1")
        }
    }

    func run() async throws {
        try await CommandFailure.reporting(json: json) {
            let outbox = try OutboxAccess.open(try options.load())
            if history {
                for entry in try await outbox.history(limit: limit) {
                    if json {
                        print(JSONOutput.line(OutboxListEntry(entry)))
                    } else {
                        let error = entry.error.isEmpty ? "" : "  \(entry.error)"
                        print("\(entry.msgID)  \(entry.type.rawValue)  \(entry.status.rawValue)  attempts \(entry.attempts)\(error)")
                    }
                }
                return
            }
            let rows = try await outbox.list(state: state.flatMap(OutboxMessage.State.init(rawValue:)), limit: limit)
            let now = WallClock.system.unixMilliseconds()
            for row in rows {
                if json {
                    print(JSONOutput.line(OutboxListEntry(row)))
                } else {
                    let age = AgentStatus.span(Double(now - row.createdAt) / 1_000)
                    let error = row.lastError.map { "  last error: \($0)" } ?? ""
                    print("\(row.id)  \(row.msgID)  \(row.type.rawValue)  \(row.state.rawValue)  \(row.payload.count) bytes  age \(age)  attempts \(row.attempts)\(error)")
                }
            }
            if rows.isEmpty && !json {
                FileHandle.standardError.write(Data("no messages\(state.map { " in state \($0)" } ?? "")\n".utf8))
            }
        }
    }
}
