import Foundation
import NIOCore
import QuicFlowProtocol
import Testing

@Suite("Frame round trips")
struct FrameRoundTripTests {
    @Test("every frame type survives encode, decode and decodePayload")
    func everyFrameType() throws {
        let expectedPayloads: [FramePayload] = [
            .ping({ var m = PingFrame(); m.clientID = "device-7"; return m }()),
            .pong({ var m = PongFrame(); m.serverTime = SampleFrames.timestamp + 5; return m }()),
            .data(SampleFrames.dataMessage),
            .ack(SampleFrames.ackMessage),
        ]
        let frames = try SampleFrames.all()
        #expect(frames.map(\.type) == [.ping, .pong, .data, .ack])

        for (frame, expectedPayload) in zip(frames, expectedPayloads) {
            let wire = try FrameEncoder().encode(frame)
            var decoder = FrameDecoder()
            try decoder.feed(wire)
            let decoded = try #require(try decoder.nextFrame())
            #expect(decoded == frame)
            #expect(decoded.timestamp == SampleFrames.timestamp)
            #expect(try decoded.decodePayload() == expectedPayload)
            #expect(try decoder.finish() == nil)
        }
    }

    @Test("finish hands out the frame when nextFrame was not called")
    func finishReturnsFrame() throws {
        let frame = try Frame.ping(clientID: "a", timestamp: 1)
        var decoder = FrameDecoder()
        try decoder.feed(try FrameEncoder().encode(frame))
        #expect(decoder.hasCompleteFrame)
        #expect(try decoder.finish() == frame)
        #expect(try decoder.nextFrame() == nil)
    }

    @Test("a frame built from a FramePayload matches the static helpers")
    func payloadInitializer() throws {
        var ack = AckMessage()
        ack.msgID = "m"
        ack.status = .success
        #expect(try Frame(.ack(ack), timestamp: 9) == Frame.ack(ack, timestamp: 9))
        #expect(FramePayload.ack(ack).frameType == .ack)
    }

    @Test("the default timestamp is now, in Unix milliseconds")
    func defaultTimestamp() throws {
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let frame = try Frame.ping(clientID: "a")
        let after = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(frame.timestamp >= before - 1 && frame.timestamp <= after + 1)
    }

    @Test("a payload of exactly 1 MiB fits the default limit")
    func megabytePayloadFits() throws {
        var message = SampleFrames.dataMessage
        message.payload = Data(repeating: 0xAB, count: FrameLimits.defaultMaxPayloadSize)
        let frame = try Frame.data(message)
        let wire = try FrameEncoder().encode(frame)
        #expect(FrameLimits.defaultMaxFrameSize == 1_048_576 + 65_536)

        var decoder = FrameDecoder()
        // Arrives in QUIC-sized chunks.
        var remaining = wire
        while let chunk = remaining.readSlice(length: min(1200, remaining.readableBytes)), chunk.readableBytes > 0 {
            try decoder.feed(chunk)
        }
        let decoded = try #require(try decoder.finish())
        #expect(try decoded.decodePayload() == .data(message))
    }
}
