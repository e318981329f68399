import ArgumentParser
import Foundation
import QuicFlowAdminModel
import QuicFlowCtl

/// `quicflowctl client ID`.
struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client", abstract: "Show one connected client (exit 3 when it is not connected).")

    @OptionGroup var options: AdminOptions
    @Argument(help: "The client id.") var id: String

    func run() async throws {
        try await CtlFailure.reporting(json: options.json) {
            let reply = try await options.client().request("GET", "/v1/clients/\(PathComponent.escape(id))")
            guard reply.status == 200 else { throw CtlFailure.from(reply, notFound: .offline) }
            if options.json { return printOut(reply.bodyText + "\n") }
            let client = try JSONDecoder().decode(ConnectedClient.self, from: Data(reply.body))
            let now = Int64(Date().timeIntervalSince1970 * 1_000)
            printOut("""
                client          \(client.clientID)\(client.node.map { "\nnode            \($0)" } ?? "")
                remote address  \(client.remoteAddress)
                connected       \(client.connectedAt) (\(ConnectedClient.age(since: client.connectedAt, now: now)))
                last heartbeat  \(client.lastHeartbeat) (\(ConnectedClient.age(since: client.lastHeartbeat, now: now)))

                """)
        }
    }
}
