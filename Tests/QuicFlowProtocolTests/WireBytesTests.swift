import Foundation
import NIOCore
import QuicFlowProtocol
import Testing

/// The codec's bytes checked against bytes worked out by hand from the protobuf wire
/// format (https://protobuf.dev/programming-guides/encoding/), not by SwiftProtobuf.
///
/// A field's tag is the varint `(field_number << 3) | wire_type`; wire type 0 is a
/// varint (int64, bool, enum), wire type 2 is length-delimited (string, bytes, message).
/// proto3 leaves out fields that hold their default value, and SwiftProtobuf, like every
/// official encoder, writes fields in field-number order.
@Suite("Wire bytes")
struct WireBytesTests {
    /// `Frame{type: PING, payload: PingFrame{client_id: "dev-1"}, timestamp: 1000}`.
    ///
    /// PingFrame (7 bytes):
    ///   0A             field 1 (client_id), wire type 2: (1 << 3) | 2
    ///   05             length 5
    ///   64 65 76 2D 31 "dev-1" in UTF-8
    /// Frame (14 bytes):
    ///   08 01          field 1 (type), varint: PING = 1
    ///   12 07 ...      field 2 (payload), wire type 2: (2 << 3) | 2, length 7, the PingFrame
    ///   18 E8 07       field 3 (timestamp), varint: (3 << 3) | 0; 1000 = 0b111_1101000,
    ///                  low 7 bits 0x68 with the continuation bit = E8, then 1000 >> 7 = 07
    /// Prefix: 14 as a big-endian u32 = 00 00 00 0E.
    static let pingWire: [UInt8] = [
        0x00, 0x00, 0x00, 0x0E,
        0x08, 0x01,
        0x12, 0x07, 0x0A, 0x05, 0x64, 0x65, 0x76, 0x2D, 0x31,
        0x18, 0xE8, 0x07,
    ]

    /// `Frame{type: DATA, payload: DataMessage{...}, timestamp: 1_700_000_000_000}` where
    /// the DataMessage is `{msg_id: "m1", sender_id: "a", receiver_id: "b", type: COMMAND,
    /// payload: "hi", wait_ack: true, timestamp: 1_700_000_000_000}`.
    ///
    /// 1_700_000_000_000 = 0x18B_CFE5_6800. As a varint, 7 bits at a time from the least
    /// significant: 0x00, 0x50, 0x15, 0x7F, 0x3C, 0x31; every group but the last gets the
    /// continuation bit 0x80: 80 D0 95 FF BC 31 (6 bytes).
    ///
    /// DataMessage (25 = 0x19 bytes):
    ///   0A 02 6D 31    field 1 (msg_id), wire type 2, "m1"
    ///   12 01 61       field 2 (sender_id): (2 << 3) | 2, "a"
    ///   1A 01 62       field 3 (receiver_id): (3 << 3) | 2, "b"
    ///   20 01          field 4 (type), varint: (4 << 3) | 0, COMMAND = 1
    ///   2A 02 68 69    field 5 (payload): (5 << 3) | 2, "hi"
    ///   30 01          field 6 (wait_ack), varint: (6 << 3) | 0, true = 1
    ///   38 80 D0 95 FF BC 31   field 7 (timestamp): (7 << 3) | 0, the varint above
    /// Frame (36 = 0x24 bytes):
    ///   08 03          field 1 (type): DATA = 3
    ///   12 19 ...      field 2 (payload): length 25, the DataMessage
    ///   18 80 D0 95 FF BC 31   field 3 (timestamp)
    /// Prefix: 00 00 00 24.
    static let dataWire: [UInt8] = [
        0x00, 0x00, 0x00, 0x24,
        0x08, 0x03,
        0x12, 0x19,
        0x0A, 0x02, 0x6D, 0x31,
        0x12, 0x01, 0x61,
        0x1A, 0x01, 0x62,
        0x20, 0x01,
        0x2A, 0x02, 0x68, 0x69,
        0x30, 0x01,
        0x38, 0x80, 0xD0, 0x95, 0xFF, 0xBC, 0x31,
        0x18, 0x80, 0xD0, 0x95, 0xFF, 0xBC, 0x31,
    ]

    static var dataMessage: DataMessage {
        var message = DataMessage()
        message.msgID = "m1"
        message.senderID = "a"
        message.receiverID = "b"
        message.type = .command
        message.payload = Data("hi".utf8)
        message.waitAck = true
        message.timestamp = 1_700_000_000_000
        return message
    }

    @Test("a PING frame encodes to the hand-computed bytes")
    func pingEncodes() throws {
        let wire = try FrameEncoder().encode(try .ping(clientID: "dev-1", timestamp: 1000))
        #expect(wire.bytes == Self.pingWire)
    }

    @Test("the hand-computed PING bytes decode")
    func pingDecodes() throws {
        var decoder = FrameDecoder()
        try decoder.feed(ByteBuffer(bytes: Self.pingWire))
        let frame = try #require(try decoder.finish())
        #expect(frame.type == .ping)
        #expect(frame.timestamp == 1000)
        guard case .ping(let ping) = try frame.decodePayload() else {
            Issue.record("expected a PING payload")
            return
        }
        #expect(ping.clientID == "dev-1")
    }

    @Test("a DATA frame with wait_ack encodes to the hand-computed bytes")
    func dataEncodes() throws {
        let wire = try FrameEncoder().encode(try .data(Self.dataMessage, timestamp: 1_700_000_000_000))
        #expect(wire.bytes == Self.dataWire)
    }

    @Test("the hand-computed DATA bytes decode")
    func dataDecodes() throws {
        var decoder = FrameDecoder()
        try decoder.feed(ByteBuffer(bytes: Self.dataWire))
        let frame = try #require(try decoder.nextFrame())
        #expect(frame.type == .data)
        #expect(frame.timestamp == 1_700_000_000_000)
        #expect(try frame.decodePayload() == .data(Self.dataMessage))
        #expect(try decoder.finish() == nil)
    }

    @Test("unknown fields in the envelope and in the payload are ignored")
    func unknownFieldsIgnored() throws {
        // The PING frame above, with unknown fields a newer peer might add:
        //   78 2A            field 15, varint: (15 << 3) | 0 = 0x78, value 42
        //   A2 06 03 78 79 7A  field 100, wire type 2: (100 << 3) | 2 = 802 = varint A2 06,
        //                    length 3, "xyz"
        // and inside the PingFrame:
        //   10 07            field 2, varint: (2 << 3) | 0, value 7
        // PingFrame grows to 9 bytes; the Frame to 2 + 11 + 3 + 2 + 6 = 24 = 0x18.
        let wire: [UInt8] = [
            0x00, 0x00, 0x00, 0x18,
            0x08, 0x01,
            0x12, 0x09, 0x0A, 0x05, 0x64, 0x65, 0x76, 0x2D, 0x31, 0x10, 0x07,
            0x18, 0xE8, 0x07,
            0x78, 0x2A,
            0xA2, 0x06, 0x03, 0x78, 0x79, 0x7A,
        ]
        var decoder = FrameDecoder()
        try decoder.feed(ByteBuffer(bytes: wire))
        let frame = try #require(try decoder.finish())
        #expect(frame.type == .ping)
        #expect(frame.timestamp == 1000)
        guard case .ping(let ping) = try frame.decodePayload() else {
            Issue.record("expected a PING payload")
            return
        }
        #expect(ping.clientID == "dev-1")
    }
}
