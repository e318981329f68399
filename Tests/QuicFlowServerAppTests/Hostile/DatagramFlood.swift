import NIOCore
import NIOPosix

/// Sends hand-made datagrams from a loopback address of its own, the way
/// an attacker on the path would: no QUIC stack, just bytes.
struct DatagramFlood {
    enum Kind: CaseIterable {
        /// Random bytes of a random length.
        case random
        /// An Initial's long header, cut short of the 1,200 bytes an Initial needs.
        case truncatedInitial
        /// A full-size Initial with a fresh connection ID and undecryptable contents.
        case initial
        /// A short-header packet for a connection nobody has.
        case shortHeader
    }

    private let channel: any Channel
    private let target: SocketAddress
    private var random = SystemRandomNumberGenerator()

    init(from host: String, to target: SocketAddress) async throws {
        channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: host, port: 0).get()
        self.target = target
    }

    /// Sends `count` datagrams of `kind`, flushing in batches.
    mutating func send(_ kind: Kind, count: Int) async throws {
        for start in stride(from: 0, to: count, by: 100) {
            for _ in start..<min(start + 100, count) {
                let bytes = make(kind)
                channel.write(AddressedEnvelope(remoteAddress: target, data: ByteBuffer(bytes: bytes)), promise: nil)
            }
            try await channel.writeAndFlush(
                AddressedEnvelope(remoteAddress: target, data: ByteBuffer(bytes: make(.random)))).get()
        }
    }

    func close() async {
        try? await channel.close()
    }

    private mutating func make(_ kind: Kind) -> [UInt8] {
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) } }
        switch kind {
        case .random:
            return bytes(Int.random(in: 1...1_500, using: &random))
        case .truncatedInitial:
            return Array(initial().prefix(Int.random(in: 1...1_199, using: &random)))
        case .initial:
            return initial()
        case .shortHeader:
            return [0x40 | UInt8.random(in: 0...0x3f, using: &random)] + bytes(Int.random(in: 20...1_200, using: &random))
        }
    }

    /// Long header, type Initial, version 1, 8-byte connection IDs, no token,
    /// a two-byte length covering the rest: 1,200 bytes in all.
    private mutating func initial() -> [UInt8] {
        var packet: [UInt8] = [0xc3, 0, 0, 0, 1, 8]
        packet += (0..<8).map { _ in UInt8.random(in: 0...255, using: &random) }
        packet += [8] + (0..<8).map { _ in UInt8.random(in: 0...255, using: &random) }
        packet += [0]  // token length
        let rest = 1_200 - packet.count - 2
        packet += [0x40 | UInt8(rest >> 8), UInt8(rest & 0xff)]
        packet += (0..<rest).map { _ in UInt8.random(in: 0...255, using: &random) }
        return packet
    }
}
