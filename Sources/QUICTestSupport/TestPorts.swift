#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ports for tests that stop a server and start it again on the same port.
///
/// A port the kernel picked (port 0) is an ephemeral port, and while the
/// server is down the kernel may hand it to any other socket that binds
/// port 0 (another test's client endpoint, say): the restart then fails with
/// EADDRINUSE. Ports below the ephemeral range (Linux: 32768 and up) are
/// never picked that way.
public enum TestPorts {
    /// A UDP port in 20000..<32000 that is free on 127.0.0.1 right now.
    public static func restartable() -> Int {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1_000 {
            let port = Int.random(in: 20_000..<32_000, using: &generator)
            if isFree(port) { return port }
        }
        return 0
    }

    private static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0
    }
}
