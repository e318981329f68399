import ArgumentParser
import QuicFlowCtl

/// `quicflowctl metrics`.
struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "Print the server's Prometheus metrics.")

    @OptionGroup var options: AdminOptions

    func run() async throws {
        try await CtlFailure.reporting {
            let reply = try await options.client().request("GET", "/metrics")
            guard reply.status == 200 else { throw CtlFailure.from(reply) }
            printOut(reply.bodyText)
        }
    }
}
