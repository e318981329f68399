import ArgumentParser
import Foundation
import QuicFlowAdminModel
import QuicFlowCtl

/// `quicflowctl message MSG_ID`.
struct MessageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "message",
        abstract: "Show a message's state (queued, sent, delivered, expired) and result; exit 3 when unknown.")

    @OptionGroup var options: AdminOptions
    @Argument(help: "The msg_id that send printed.") var msgID: String

    func run() async throws {
        try await CtlFailure.reporting(json: options.json) {
            let reply = try await options.client().request("GET", "/v1/messages/\(PathComponent.escape(msgID))")
            guard reply.status == 200 else { throw CtlFailure.from(reply, notFound: .offline) }
            if options.json { return printOut(reply.bodyText + "\n") }
            let record = try JSONDecoder().decode(MessageRecord.self, from: Data(reply.body))
            let fields: [(String, String)] = [
                ("msg_id", record.msgID), ("client_id", record.clientID), ("type", record.type), ("state", record.state),
                ("status", record.status), ("result", record.result), ("error", record.error), ("late", "\(record.late)"),
            ]
            for (key, value) in fields where !value.isEmpty {
                printOut("\(key.padding(toLength: 10, withPad: " ", startingAt: 0)) \(value)\n")
            }
        }
    }
}
