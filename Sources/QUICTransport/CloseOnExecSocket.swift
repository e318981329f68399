import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes the endpoint's UDP socket with close-on-exec set.
///
/// NIO creates sockets without `SOCK_CLOEXEC`, so every child process the
/// application starts (a hook, a handler, a test's subprocess) would inherit
/// the socket and keep its port bound after the endpoint closed: a restarted
/// server then fails with "Address already in use". Creating and binding the
/// socket here and handing it to NIO avoids that.
enum CloseOnExecSocket {
    /// A non-blocking, close-on-exec UDP socket bound to `host:port`.
    static func bound(host: String, port: Int) throws(QUICError) -> NIOBSDSocket.Handle {
        let address: SocketAddress
        do {
            address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw QUICError(.bindFailed, "cannot bind UDP \(host):\(port): the address does not resolve: \(error)")
        }
        #if canImport(Glibc)
        let type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        #else
        let type = SOCK_DGRAM
        #endif
        let fd = socket(address.protocol.rawValue, type, 0)
        guard fd >= 0 else {
            throw QUICError(.bindFailed, "cannot create a UDP socket for \(host):\(port): \(String(cString: strerror(errno)))")
        }
        #if !canImport(Glibc)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        #endif
        let result = address.withSockAddr { pointer, size in bind(fd, pointer, socklen_t(size)) }
        if result != 0 {
            let reason = errno
            close(fd)
            throw QUICError(.bindFailed, "cannot bind UDP \(host):\(port): \(String(cString: strerror(reason))) (errno \(reason))")
        }
        return fd
    }
}
