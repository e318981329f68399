import ArgumentParser

/// `quicflow-bench`: performance workloads that print numbers (one JSON
/// line per result, then a table). Run from a release build.
@main
struct QuicflowBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quicflow-bench",
        abstract: "Measure QuicFlow's throughput and latency over loopback.",
        subcommands: [
            RTTBenchmark.self, RPSBenchmark.self, BulkBenchmark.self, HandshakeBenchmark.self, FanoutBenchmark.self,
            OutboxBenchmark.self, IdleBenchmark.self, TransportBenchmark.self, SoakBenchmark.self, ClusterBenchmark.self,
        ]
    )
}
