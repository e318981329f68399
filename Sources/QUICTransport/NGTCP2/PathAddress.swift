import CNgtcp2
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A socket address at a stable heap location, for the `ngtcp2_path`
/// structures that point at it.
final class PathAddress {
    let storage: UnsafeMutablePointer<sockaddr_storage>
    private(set) var length: socklen_t
    private(set) var socketAddress: SocketAddress

    init(_ address: SocketAddress) {
        storage = .allocate(capacity: 1)
        storage.initialize(to: sockaddr_storage())
        length = 0
        socketAddress = address
        set(address)
    }

    deinit {
        storage.deallocate()
    }

    var pointer: UnsafeMutablePointer<sockaddr> {
        UnsafeMutableRawPointer(storage).assumingMemoryBound(to: sockaddr.self)
    }

    var ngtcp2Address: ngtcp2_addr {
        ngtcp2_addr(addr: pointer, addrlen: length)
    }

    func set(_ address: SocketAddress) {
        socketAddress = address
        address.withSockAddr { sa, len in
            UnsafeMutableRawPointer(storage).copyMemory(from: sa, byteCount: len)
            length = socklen_t(len)
        }
    }

    /// Whether `addr` names the same address, compared bytewise.
    func matches(_ addr: ngtcp2_addr) -> Bool {
        addr.addrlen == length && memcmp(addr.addr, pointer, Int(length)) == 0
    }

    /// Converts a sockaddr that ngtcp2 hands back into a NIO address.
    static func socketAddress(from addr: ngtcp2_addr) -> SocketAddress? {
        guard let sa = addr.addr else { return nil }
        switch Int32(sa.pointee.sa_family) {
        case AF_INET:
            return UnsafeRawPointer(sa).withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                SocketAddress($0.pointee)
            }
        case AF_INET6:
            return UnsafeRawPointer(sa).withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                SocketAddress($0.pointee)
            }
        default:
            return nil
        }
    }
}
