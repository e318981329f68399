import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A stand-in for systemd's notification socket: a Unix datagram socket a
/// test points `$NOTIFY_SOCKET` at, collecting what the daemon sends.
///
/// Read with plain `recv` on a thread of its own: systemd's clients send
/// from unbound sockets, whose empty source address NIO cannot represent.
public final class NotifySocket: Sendable {
    /// The socket's path, for `NOTIFY_SOCKET`.
    public let path: String
    private let directory: String
    private let descriptor: Int32
    private let stopped = StopFlag()
    private let received: AsyncStream<String>

    /// Binds a fresh socket in a temporary directory.
    public init() throws {
        directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "notify")
        path = directory + "/notify.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        descriptor = fd
        guard fd >= 0 else { throw TestCertificateAuthorityError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw TestCertificateAuthorityError("bind \(path): \(String(cString: strerror(errno)))") }
        // recv wakes every 100 ms to see whether the socket was closed.
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let (received, sink) = AsyncStream.makeStream(of: String.self)
        self.received = received
        let thread = Thread { [stopped] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !stopped.isSet {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count > 0 { sink.yield(String(decoding: buffer[..<count], as: UTF8.self)) }
            }
            Glibc.close(fd)
            sink.finish()
        }
        thread.start()
    }

    /// The notifications in the order they came (each one datagram, its
    /// lines separated by newlines); one consumer only.
    public var notifications: AsyncStream<String> { received }

    /// Stops reading and removes the socket.
    public func close() {
        stopped.set()
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit {
        // The reading thread closes the socket once it sees this.
        stopped.set()
    }
}

/// A flag the reading thread polls; a class so that the thread's closure can hold it.
private final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
