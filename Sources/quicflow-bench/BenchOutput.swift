/// Prints results: one JSON line each, then a table.
enum BenchOutput {
    static func report(_ results: [BenchmarkResult]) {
        for result in results { print(result.jsonLine) }
        print("")
        print(BenchmarkResult.table(results))
    }
}
