import Foundation

/// Another executable of this package, built next to quicflow-bench.
enum SiblingExecutable {
    /// `$QUICFLOW_AGENT_BIN` / `$QUICFLOW_SERVER_BIN` (for a statically
    /// linked build elsewhere), else the file next to quicflow-bench.
    static func path(_ name: String) throws -> String {
        let variable = name.replacingOccurrences(of: "-", with: "_").uppercased() + "_BIN"
        if let override = ProcessInfo.processInfo.environment[variable], !override.isEmpty { return override }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let path = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchError("\(path) is missing; build it first (swift build -c release --product \(name))")
        }
        return path
    }
}
