import Foundation

/// Another executable of this package, built next to quicflow-bench.
enum SiblingExecutable {
    static func path(_ name: String) throws -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let path = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchError("\(path) is missing; build it first (swift build -c release --product \(name))")
        }
        return path
    }
}
