import Logging
import NIOCore

/// Feeds the endpoint's datagrams to its core and marks the end of each
/// read burst, where all pending packets are written and flushed at once.
final class EndpointChannelHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let core: EndpointCore

    init(core: EndpointCore) {
        self.core = core
    }

    func handlerAdded(context: ChannelHandlerContext) {
        core.attach(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        core.receive(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        core.flushDirty()
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.channelClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // UDP reports ICMP errors (port unreachable) here; QUIC's own timers
        // decide when a peer is gone, so the socket stays open.
        core.logger.debug("UDP socket error", metadata: ["error": "\(error)"])
    }
}
