import Foundation
import QuicFlowProtocol
import NIOCore
import Testing

@Suite("FrameEncoder")
struct FrameEncoderTests {
    @Test("a frame over the limit is refused, with no application error code")
    func overLimitRefused() throws {
        var message = DataMessage()
        message.payload = Data(repeating: 1, count: 200)
        let frame = try Frame.data(message, timestamp: 1)
        let error = codecError { _ = try FrameEncoder(maxFrameSize: 100).encode(frame) }
        #expect(error?.code == .frameTooLarge)
        #expect(error?.applicationErrorCode == nil)
        #expect(error?.message.contains("over the limit of 100 bytes") == true)
    }

    @Test("a frame of exactly the limit is encoded")
    func atLimit() throws {
        let frame = try Frame.ping(clientID: "dev-1", timestamp: 1000)  // 14 bytes
        let wire = try FrameEncoder(maxFrameSize: 14).encode(frame)
        #expect(wire.readableBytes == 18)
        #expect(codecError { _ = try FrameEncoder(maxFrameSize: 13).encode(frame) }?.code == .frameTooLarge)
    }

    @Test("a 1 MiB + 64 KiB + 1 byte frame is refused by default")
    func defaultLimit() throws {
        var message = DataMessage()
        message.payload = Data(repeating: 1, count: FrameLimits.defaultMaxFrameSize)
        let frame = try Frame.data(message)
        #expect(codecError { _ = try FrameEncoder().encode(frame) }?.code == .frameTooLarge)
    }

    @Test("an all-default frame, which encodes to 0 bytes, is refused")
    func emptyFrameRefused() {
        let error = codecError { _ = try FrameEncoder().encode(Frame()) }
        #expect(error?.code == .emptyFrame)
    }

    @Test("encode(into:) appends and leaves the buffer unchanged on failure")
    func encodeInto() throws {
        var buffer = ByteBuffer(bytes: [0xFF])
        try FrameEncoder().encode(try .ping(clientID: "dev-1", timestamp: 1000), into: &buffer)
        #expect(buffer.bytes == [0xFF] + WireBytesTests.pingWire)
        #expect(codecError { try FrameEncoder().encode(Frame(), into: &buffer) } != nil)
        #expect(buffer.readableBytes == 1 + WireBytesTests.pingWire.count)
    }
}
