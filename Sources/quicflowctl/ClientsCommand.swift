import ArgumentParser
import Foundation
import QuicFlowAdminModel
import QuicFlowCtl

/// `quicflowctl clients`.
struct ClientsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "clients", abstract: "List the connected clients.")

    @OptionGroup var options: AdminOptions

    func run() async throws {
        try await CtlFailure.reporting(json: options.json) {
            let reply = try await options.client().request("GET", "/v1/clients")
            guard reply.status == 200 else { throw CtlFailure.from(reply) }
            if options.json { return printOut(reply.bodyText + "\n") }
            let clients = try JSONDecoder().decode([ConnectedClient].self, from: Data(reply.body))
            let now = Int64(Date().timeIntervalSince1970 * 1_000)
            printOut(ConnectedClient.table(clients, now: now).render())
            printOut("\(clients.count) connected\n")
        }
    }
}
