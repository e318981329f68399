#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// IP addresses as text and as the bytes of a subject alternative name.
enum IPAddressLiteral {
    /// The 4 or 16 bytes of an IPv4 or IPv6 literal, or `nil` if it is neither.
    static func bytes(_ literal: String) -> [UInt8]? {
        // inet_pton writes network byte order, which is exactly the SAN
        // encoding; byte arrays keep in_addr/in6_addr out of the API.
        var v4 = [UInt8](repeating: 0, count: 4)
        if inet_pton(AF_INET, literal, &v4) == 1 {
            return v4
        }
        var v6 = [UInt8](repeating: 0, count: 16)
        if inet_pton(AF_INET6, literal, &v6) == 1 {
            return v6
        }
        return nil
    }

    /// The canonical text of a 4- or 16-byte address, or `nil` for any other length.
    static func text(_ bytes: some Collection<UInt8>) -> String? {
        let family: Int32
        switch bytes.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        let address = Array(bytes)
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let length = socklen_t(buffer.count)
        guard inet_ntop(family, address, &buffer, length) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
