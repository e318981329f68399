import Foundation

/// Memory and CPU time of a process, from /proc.
struct ProcessStats {
    /// Resident set size in KiB (VmRSS).
    let rssKiB: Int
    /// User + system CPU time in seconds.
    let cpuSeconds: Double

    static func sample(pid: Int32) throws -> ProcessStats {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        else { throw BenchError("process \(pid) is gone") }
        let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
        // Fields after the ")" that ends the command name: utime and stime are the 12th and 13th.
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        return ProcessStats(rssKiB: rss, cpuSeconds: ticks / Double(sysconf(Int32(_SC_CLK_TCK))))
    }
}
