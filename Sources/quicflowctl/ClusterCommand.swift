import ArgumentParser
import Foundation
import QuicFlowAdminModel
import QuicFlowCtl

/// `quicflowctl cluster`.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "List the nodes of the cluster: alive or not, heartbeat age, devices, addresses (* marks the node asked).")

    @OptionGroup var options: AdminOptions

    func run() async throws {
        try await CtlFailure.reporting(json: options.json) {
            let reply = try await options.client().request("GET", "/v1/cluster")
            guard reply.status == 200 else { throw CtlFailure.from(reply) }
            if options.json { return printOut(reply.bodyText + "\n") }
            let cluster = try JSONDecoder().decode(ClusterReply.self, from: Data(reply.body))
            printOut(cluster.table().render())
            printOut("\(cluster.nodes.count { $0.alive }) of \(cluster.nodes.count) nodes alive\n")
        }
    }
}
