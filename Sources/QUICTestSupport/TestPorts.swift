import NIOCore
import NIOPosix
import Synchronization

/// Ports for tests that stop a server and start it again on the same port.
///
/// A port the kernel picked (port 0) is an ephemeral port, and while the
/// server is down the kernel may hand it to any other socket that binds
/// port 0 (another test's client endpoint, say): the restart then fails with
/// EADDRINUSE. Ports below the ephemeral range (Linux: 32768 and up) are
/// never picked that way.
public enum TestPorts {
    /// Ports already handed out in this process: a port a test holds while
    /// its server is down looks free, and must not go to another test.
    private static let handedOut = Mutex<Set<Int>>([])

    /// A UDP port in 20000..<32000 that is free on 127.0.0.1 right now and
    /// that no other caller in this process was given.
    public static func restartable() -> Int {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1_000 {
            let port = Int.random(in: 20_000..<32_000, using: &generator)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            if isFree(port) { return port }
        }
        return 0
    }

    // Through NIO rather than a hand-filled sockaddr_in: the C struct's
    // members are ambiguous between Glibc and NIO's C module in release builds.
    private static func isFree(_ port: Int) -> Bool {
        guard let channel = try? DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: port).wait()
        else { return false }
        try? channel.close().wait()
        return true
    }
}
