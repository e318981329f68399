import NIOCore

/// Sits on the client-facing socket and hands every datagram to the proxy core.
final class FaultProxyClientHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let core: FaultProxyCore

    init(core: FaultProxyCore) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        // Copy into a buffer of the datagram's size: the read buffer is sized for the largest
        // possible datagram, and delayed or held datagrams would otherwise pin 64 KiB each.
        let datagram = context.channel.allocator.buffer(buffer: envelope.data)
        self.core.receivedFromClient(datagram, from: envelope.remoteAddress)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.core.flushWrites()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Datagram errors (an ICMP unreachable, a full send buffer) concern one datagram only;
        // a lossy link carries on, so the proxy does too.
    }
}

@available(*, unavailable)
extension FaultProxyClientHandler: Sendable {}
