import Foundation
import QuicFlowProtocol
import Testing

@Suite("Frame payloads")
struct FramePayloadTests {
    @Test("an unspecified frame type is rejected")
    func unspecifiedType() {
        var frame = Frame()
        frame.timestamp = 1
        let error = codecError { _ = try frame.decodePayload() }
        #expect(error?.code == .unexpectedPayload)
        #expect(error?.applicationErrorCode == 6)
    }

    @Test("an unknown frame type is rejected with its number")
    func unknownType() {
        var frame = Frame()
        frame.type = .UNRECOGNIZED(9)
        let error = codecError { _ = try frame.decodePayload() }
        #expect(error?.code == .unexpectedPayload)
        #expect(error?.message.contains("unknown frame type 9") == true)
    }

    @Test("a payload that is not valid protobuf is rejected")
    func payloadNotProtobuf() {
        var frame = Frame()
        frame.type = .ack
        frame.payload = Data([0xFF])  // a tag byte whose varint never ends
        let error = codecError { _ = try frame.decodePayload() }
        #expect(error?.code == .unexpectedPayload)
        #expect(error?.applicationErrorCode == 6)
        #expect(error?.message.contains("payload of this ACK frame is not a valid AckMessage") == true)
    }

    @Test("a payload of another valid message type decodes with unknown fields ignored")
    func otherMessageTypeIsNotDetected() throws {
        // An ACK frame carrying a PongFrame (08 05): field 1 is a varint, not AckMessage's
        // msg_id string. Protobuf parsers keep a field whose wire type does not match as
        // an unknown field, and PROTOCOL.md says unknown fields are ignored, so this
        // decodes as an empty AckMessage. Receivers validate the fields they need.
        var frame = try Frame.pong(serverTime: 5, timestamp: 1)
        frame.type = .ack
        guard case .ack(let ack) = try frame.decodePayload() else {
            Issue.record("expected an ACK payload")
            return
        }
        #expect(ack.msgID.isEmpty)
        #expect(ack.status == .unspecified)
    }

    @Test("a truncated payload is rejected")
    func truncatedPayload() {
        var frame = Frame()
        frame.type = .data
        frame.payload = Data([0x0A, 0x05, 0x61])  // msg_id declares 5 bytes, has 1
        #expect(codecError { _ = try frame.decodePayload() }?.code == .unexpectedPayload)
    }

    @Test("an empty payload decodes as the all-default message")
    func emptyPayload() throws {
        var frame = Frame()
        frame.type = .ping
        #expect(try frame.decodePayload() == .ping(PingFrame()))
    }
}
