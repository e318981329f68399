import ArgumentParser
import QuicFlowCtl

/// `quicflowctl metrics`.
struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "Print the server's Prometheus metrics.")

    @OptionGroup var options: AdminOptions

    func validate() throws {
        // Prometheus text is the metrics' only form; a JSON that only
        // wrapped it would mislead a script.
        if options.json {
            throw ValidationError("metrics prints the Prometheus text format only; drop --json (scrape GET /metrics with a Prometheus client to get values)")
        }
    }

    func run() async throws {
        try await CtlFailure.reporting(json: options.json) {
            let reply = try await options.client().request("GET", "/metrics")
            guard reply.status == 200 else { throw CtlFailure.from(reply) }
            printOut(reply.bodyText)
        }
    }
}
