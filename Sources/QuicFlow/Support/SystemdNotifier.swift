public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// systemd's readiness and watchdog notifications (sd_notify(3)), written
/// out rather than linked from libsystemd: the protocol is one datagram of
/// newline-separated `KEY=VALUE` lines to the Unix socket named by
/// `$NOTIFY_SOCKET` (a leading `@` is Linux's abstract namespace), with no
/// credentials or descriptors to pass for the messages QuicFlow sends. So a
/// device binary needs no libsystemd, and outside systemd this does nothing.
public struct SystemdNotifier: Sendable {
    /// The socket to notify; `nil` when not started by systemd with
    /// `Type=notify` (then every call does nothing).
    public let socketPath: String?
    /// How often systemd expects `WATCHDOG=1` (`WatchdogSec=`, from
    /// `$WATCHDOG_USEC`); `nil` without a watchdog, or when it is meant for
    /// another process (`$WATCHDOG_PID`).
    public let watchdogTimeout: Duration?

    /// Reads the protocol's variables from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        let forUs = environment["WATCHDOG_PID"].flatMap(Int32.init).map { $0 == getpid() } ?? true
        if forUs, let microseconds = environment["WATCHDOG_USEC"].flatMap(Int64.init), microseconds > 0 {
            watchdogTimeout = .microseconds(microseconds)
        } else {
            watchdogTimeout = nil
        }
    }

    /// Whether systemd listens.
    public var isActive: Bool { socketPath != nil }

    /// Sends `lines` (such as `READY=1`, `STATUS=…`) as one notification.
    /// - Returns: whether the datagram went out (false outside systemd).
    @discardableResult
    public func notify(_ lines: [String]) -> Bool {
        guard let socketPath else { return false }
        let message = Array(lines.joined(separator: "\n").utf8)
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        let abstract = path.first == UInt8(ascii: "@")
        if abstract { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { bytes in
            bytes.copyBytes(from: path)
        }
        // An abstract name is exactly its bytes; a path ends at its NUL.
        let length = MemoryLayout<sa_family_t>.size + path.count + (abstract ? 0 : 1)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { bytes in
                    sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), socketAddress, socklen_t(length))
                }
            }
        }
        return sent == message.count
    }
}
