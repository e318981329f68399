#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// This machine's host name, the default `[agent] client_id`.
enum HostName {
    /// The name `gethostname` reports; empty if it fails.
    static func current() -> String {
        // HOST_NAME_MAX is 64 on Linux and 255 elsewhere; 256 fits both and the NUL.
        var buffer = [CChar](repeating: 0, count: 257)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
