import ArgumentParser
import Foundation
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
            let object = (try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]) ?? [:]
            for key in ["msg_id", "client_id", "type", "state", "status", "result", "error", "late"] {
                if let value = object[key], "\(value)" != "" { printOut("\(key.padding(toLength: 10, withPad: " ", startingAt: 0)) \(value)\n") }
            }
        }
    }
}
