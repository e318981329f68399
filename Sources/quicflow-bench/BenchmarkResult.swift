import Foundation

/// One measured result: a workload name and named numbers, printed as a
/// JSON line for scripts and as a table row for people.
struct BenchmarkResult {
    let workload: String
    let values: [(String, Double)]

    var jsonLine: String {
        let fields = values.map { "\"\($0.0)\": \(Self.format($0.1))" }
        return "{\"workload\": \"\(workload)\", " + fields.joined(separator: ", ") + "}"
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.2f", value)
    }

    static func table(_ results: [BenchmarkResult]) -> String {
        let width = max(24, results.map(\.workload.count).max() ?? 0)
        var lines = ["workload".padding(toLength: width, withPad: " ", startingAt: 0) + "  results"]
        for result in results {
            let cells = result.values.map { "\($0.0)=\(format($0.1))" }.joined(separator: "  ")
            lines.append(result.workload.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + cells)
        }
        return lines.joined(separator: "\n")
    }
}
