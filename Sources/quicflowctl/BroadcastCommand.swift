import ArgumentParser
import Foundation
import QuicFlowAdminModel
import QuicFlowCtl

/// `quicflowctl broadcast`.
struct BroadcastCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broadcast", abstract: "Send a message to every connected client; prints how many it reached.")

    @OptionGroup var options: AdminOptions
    @Option(help: "command, query, event or response.") var type = "event"
    @Option(help: "The payload as text.") var payload = ""

    func run() async throws {
        try await CtlFailure.reporting(json: options.json) {
            let body = try JSONEncoder().encode(SendRequest(type: type, payload: payload))
            let reply = try await options.client().request("POST", "/v1/broadcast", body: [UInt8](body))
            guard reply.status == 200 else { throw CtlFailure.from(reply) }
            if options.json { return printOut(reply.bodyText + "\n") }
            let answer = try JSONDecoder().decode(BroadcastReply.self, from: Data(reply.body))
            printOut("reached \(answer.reached) clients\n")
        }
    }
}
