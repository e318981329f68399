// Shorter names for the generated wire types that belong to framing.
//
// The generated names (`Quic_Backbone_V1_*`) stay the canonical ones. `MessageType`,
// `AckStatus`, `ClientState`, `ClientInfo` and `MetricsSnapshot` get no alias on
// purpose: the QuicFlow library has (or will have) domain types with those names, and an
// alias here would make every file that imports both modules ambiguous.

/// The envelope of every frame on the wire (`quic.backbone.v1.Frame`).
public typealias Frame = Quic_Backbone_V1_Frame

/// What a ``Frame``'s payload holds (`quic.backbone.v1.FrameType`).
public typealias FrameType = Quic_Backbone_V1_FrameType

/// Registration and heartbeat from a client (`quic.backbone.v1.PingFrame`).
public typealias PingFrame = Quic_Backbone_V1_PingFrame

/// The reply to a ``PingFrame`` (`quic.backbone.v1.PongFrame`).
public typealias PongFrame = Quic_Backbone_V1_PongFrame

/// An application message in either direction (`quic.backbone.v1.DataMessage`).
public typealias DataMessage = Quic_Backbone_V1_DataMessage

/// The reply to a ``DataMessage`` sent with `waitAck` (`quic.backbone.v1.AckMessage`).
public typealias AckMessage = Quic_Backbone_V1_AckMessage
