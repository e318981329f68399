#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SwiftProtobuf

extension Quic_Backbone_V1_Frame {
    /// The current time as Unix milliseconds, the unit of every timestamp on the wire.
    public static func unixMillisecondsNow() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// Creates a frame that carries a typed payload.
    ///
    /// - Parameters:
    ///   - payload: The message to carry; it sets the frame's `type` and `payload`.
    ///   - timestamp: The frame's Unix time in milliseconds; now by default.
    /// - Throws: ``FrameCodecError/Code/encodingFailed`` if the message cannot be
    ///   serialized.
    public init(_ payload: FramePayload, timestamp: Int64 = Frame.unixMillisecondsNow()) throws(FrameCodecError) {
        self.init()
        self.type = payload.frameType
        self.timestamp = timestamp
        do {
            switch payload {
            case .ping(let message): self.payload = try message.serializedBytes()
            case .pong(let message): self.payload = try message.serializedBytes()
            case .data(let message): self.payload = try message.serializedBytes()
            case .ack(let message): self.payload = try message.serializedBytes()
            }
        } catch {
            throw FrameCodecError(
                .encodingFailed,
                "could not serialize the \(Self.messageName(payload.frameType)) of a \(Self.typeName(payload.frameType)) frame: \(error)"
            )
        }
    }

    /// A PING frame: registration (the first stream of a connection) or heartbeat.
    ///
    /// - Parameters:
    ///   - clientID: The client's identity.
    ///   - timestamp: The frame's Unix time in milliseconds; now by default.
    /// - Throws: ``FrameCodecError/Code/encodingFailed`` if the message cannot be
    ///   serialized.
    public static func ping(clientID: String, timestamp: Int64 = Frame.unixMillisecondsNow()) throws(FrameCodecError) -> Frame {
        var message = PingFrame()
        message.clientID = clientID
        return try Frame(.ping(message), timestamp: timestamp)
    }

    /// A PONG frame, the server's reply to a PING.
    ///
    /// - Parameters:
    ///   - serverTime: The server's clock, Unix milliseconds.
    ///   - timestamp: The frame's Unix time in milliseconds; now by default.
    /// - Throws: ``FrameCodecError/Code/encodingFailed`` if the message cannot be
    ///   serialized.
    public static func pong(serverTime: Int64, timestamp: Int64 = Frame.unixMillisecondsNow()) throws(FrameCodecError) -> Frame {
        var message = PongFrame()
        message.serverTime = serverTime
        return try Frame(.pong(message), timestamp: timestamp)
    }

    /// A DATA frame carrying an application message.
    ///
    /// - Parameters:
    ///   - message: The message; set `waitAck` to ask for an ACK on the same stream.
    ///   - timestamp: The frame's Unix time in milliseconds; now by default.
    /// - Throws: ``FrameCodecError/Code/encodingFailed`` if the message cannot be
    ///   serialized.
    public static func data(_ message: DataMessage, timestamp: Int64 = Frame.unixMillisecondsNow()) throws(FrameCodecError) -> Frame {
        try Frame(.data(message), timestamp: timestamp)
    }

    /// An ACK frame answering a DATA frame sent with `waitAck`.
    ///
    /// - Parameters:
    ///   - message: The acknowledgement, with the data message's `msgID`.
    ///   - timestamp: The frame's Unix time in milliseconds; now by default.
    /// - Throws: ``FrameCodecError/Code/encodingFailed`` if the message cannot be
    ///   serialized.
    public static func ack(_ message: AckMessage, timestamp: Int64 = Frame.unixMillisecondsNow()) throws(FrameCodecError) -> Frame {
        try Frame(.ack(message), timestamp: timestamp)
    }

    /// Decodes the payload as the message the frame's `type` names.
    ///
    /// Unknown fields inside the payload are ignored, as PROTOCOL.md requires. So is a
    /// field whose wire type does not match the schema, as in every protobuf parser: a
    /// payload of the wrong message type is caught only when its bytes are not valid
    /// protobuf, and callers validate the fields they need (an empty `msgID`, say).
    ///
    /// - Returns: The typed payload.
    /// - Throws: ``FrameCodecError/Code/unexpectedPayload`` (application error 6) if the
    ///   type is unspecified or unknown, or the payload does not decode as the message
    ///   the type names.
    public func decodePayload() throws(FrameCodecError) -> FramePayload {
        do {
            switch type {
            case .ping: return .ping(try PingFrame(serializedBytes: payload))
            case .pong: return .pong(try PongFrame(serializedBytes: payload))
            case .data: return .data(try DataMessage(serializedBytes: payload))
            case .ack: return .ack(try AckMessage(serializedBytes: payload))
            case .unspecified:
                throw FrameCodecError.protocolViolation(
                    .unexpectedPayload,
                    "the frame's type is unspecified (0); a frame must name PING, PONG, DATA or ACK"
                )
            case .UNRECOGNIZED(let value):
                throw FrameCodecError.protocolViolation(
                    .unexpectedPayload,
                    "unknown frame type \(value); quic-backbone-v1 defines PING 1, PONG 2, DATA 3 and ACK 4, so the peer speaks a newer or different protocol"
                )
            }
        } catch let error as FrameCodecError {
            throw error
        } catch {
            throw FrameCodecError.protocolViolation(
                .unexpectedPayload,
                "the \(payload.count)-byte payload of this \(Self.typeName(type)) frame is not a valid \(Self.messageName(type)) (\(error)); the peer's encoder is broken or speaks another protocol"
            )
        }
    }

    // PROTOCOL.md's names, so messages match what a reader of the spec or a Go peer's
    // logs would search for.
    private static func typeName(_ type: FrameType) -> String {
        switch type {
        case .unspecified: "UNSPECIFIED"
        case .ping: "PING"
        case .pong: "PONG"
        case .data: "DATA"
        case .ack: "ACK"
        case .UNRECOGNIZED(let value): "type-\(value)"
        }
    }

    private static func messageName(_ type: FrameType) -> String {
        switch type {
        case .ping: "PingFrame"
        case .pong: "PongFrame"
        case .data: "DataMessage"
        case .ack: "AckMessage"
        case .unspecified, .UNRECOGNIZED: "payload"
        }
    }
}
