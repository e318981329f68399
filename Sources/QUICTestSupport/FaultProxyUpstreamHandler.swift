import NIOCore

/// Sits on one client's upstream-facing socket and hands the server's replies to the proxy core.
final class FaultProxyUpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let core: FaultProxyCore
    private let flow: FaultProxyFlow

    init(core: FaultProxyCore, flow: FaultProxyFlow) {
        self.core = core
        self.flow = flow
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        // See FaultProxyClientHandler: don't let held datagrams pin the oversized read buffer.
        let datagram = context.channel.allocator.buffer(buffer: envelope.data)
        self.core.receivedFromUpstream(datagram, on: context.channel, for: self.flow)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.core.flushWrites()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Per-datagram errors; see FaultProxyClientHandler.
    }
}

@available(*, unavailable)
extension FaultProxyUpstreamHandler: Sendable {}
