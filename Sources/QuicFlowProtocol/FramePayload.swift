/// The typed content of a ``Frame``: the message its `payload` bytes hold, as named by
/// its `type`.
///
/// Build a frame from one with ``Quic_Backbone_V1_Frame/init(_:timestamp:)`` and get one
/// back with ``Quic_Backbone_V1_Frame/decodePayload()``.
public enum FramePayload: Sendable, Hashable {
    /// Registration or heartbeat from a client (`FRAME_TYPE_PING`).
    case ping(PingFrame)
    /// The server's reply to a ping (`FRAME_TYPE_PONG`).
    case pong(PongFrame)
    /// An application message (`FRAME_TYPE_DATA`).
    case data(DataMessage)
    /// The reply to a data message sent with `waitAck` (`FRAME_TYPE_ACK`).
    case ack(AckMessage)

    /// The frame type that carries this payload.
    public var frameType: FrameType {
        switch self {
        case .ping: .ping
        case .pong: .pong
        case .data: .data
        case .ack: .ack
        }
    }
}
