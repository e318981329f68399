import NIOCore
import QuicFlowProtocol
import Testing

@Suite("FrameDecoder")
struct FrameDecoderTests {
    @Test("decodes a frame fed one byte at a time")
    func byteByByte() throws {
        for frame in try SampleFrames.all() {
            let wire = try FrameEncoder().encode(frame).bytes
            var decoder = FrameDecoder()
            for (index, byte) in wire.enumerated() {
                try decoder.feed(ByteBuffer(bytes: [byte]))
                let decoded = try decoder.nextFrame()
                if index < wire.count - 1 {
                    #expect(decoded == nil, "frame completed early at byte \(index)")
                } else {
                    #expect(decoded == frame)
                }
                #expect(decoder.declaredLength == (index >= 3 ? wire.count - 4 : nil))
            }
            #expect(try decoder.finish() == nil)
        }
    }

    @Test("decodes a frame split at random points", arguments: 0..<50)
    func randomSplits(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        for frame in try SampleFrames.all() {
            let wire = try FrameEncoder().encode(frame).bytes
            var cuts = Set<Int>()
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                cuts.insert(Int.random(in: 0...wire.count, using: &rng))
            }
            let bounds = [0] + cuts.sorted() + [wire.count]
            var decoder = FrameDecoder()
            var decoded: Frame?
            for (start, end) in zip(bounds, bounds.dropFirst()) {
                // Empty chunks included: a stream read may yield one.
                try decoder.feed(ByteBuffer(bytes: wire[start..<end]))
                if let frame = try decoder.nextFrame() {
                    #expect(decoded == nil, "seed \(seed): frame handed out twice")
                    decoded = frame
                }
            }
            #expect(decoded == frame, "seed \(seed), cuts \(cuts.sorted())")
            #expect(try decoder.finish() == nil)
        }
    }

    @Test("length 0 is rejected from the prefix alone")
    func emptyFrameRejected() {
        var decoder = FrameDecoder()
        #expect(codecError { try decoder.feed(ByteBuffer(bytes: [0, 0])) } == nil)
        let error = codecError { try decoder.feed(ByteBuffer(bytes: [0, 0])) }
        #expect(error?.code == .emptyFrame)
        #expect(error?.applicationErrorCode == 6)
    }

    @Test("a length over the limit is rejected from the prefix alone")
    func overLimitRejected() {
        var decoder = FrameDecoder(maxFrameSize: 100)
        let error = codecError { try decoder.feed(ByteBuffer(bytes: [0, 0, 0, 101])) }
        #expect(error?.code == .frameTooLarge)
        #expect(error?.applicationErrorCode == FrameCodecError.protocolViolationErrorCode)
        #expect(decoder.bufferedByteCount == 0)

        // Exactly the limit is fine.
        var atLimit = FrameDecoder(maxFrameSize: 100)
        #expect(codecError { try atLimit.feed(ByteBuffer(bytes: [0, 0, 0, 100])) } == nil)
        #expect(atLimit.declaredLength == 100)
    }

    @Test("the default limit rejects 1 MiB + 64 KiB + 1 from the prefix, followed by payload")
    func defaultLimitRejectsBeforePayload() {
        var decoder = FrameDecoder()
        let tooLarge = UInt32(FrameLimits.defaultMaxFrameSize + 1)
        var chunk = ByteBuffer()
        chunk.writeInteger(tooLarge, endianness: .big)
        chunk.writeRepeatingByte(0x42, count: 1000)
        let error = codecError { try decoder.feed(chunk) }
        #expect(error?.code == .frameTooLarge)
        #expect(error?.message.contains("\(tooLarge)") == true)
        // No payload byte was buffered.
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("a prefix declaring 1 GiB - 1 allocates only what arrives")
    func hugeDeclaredLengthDoesNotAllocate() throws {
        var decoder = FrameDecoder(maxFrameSize: Int.max)
        let declared = (1 << 30) - 1
        var prefix = ByteBuffer()
        prefix.writeInteger(UInt32(declared), endianness: .big)
        try decoder.feed(prefix)
        #expect(decoder.declaredLength == declared)
        #expect(decoder.bufferCapacity < 1024)

        // 10 KB of the declared gigabyte arrives: the buffer follows the bytes received.
        for _ in 0..<10 {
            try decoder.feed(ByteBuffer(repeating: 0x08, count: 1000))
        }
        #expect(decoder.bufferedByteCount == 4 + 10_000)
        #expect(decoder.bufferCapacity < 64 * 1024)
        #expect(try decoder.nextFrame() == nil)

        let error = codecError { _ = try decoder.finish() }
        #expect(error?.code == .truncated)
        #expect(decoder.bufferCapacity < 64 * 1024)
    }

    @Test("bytes after the frame in the same chunk are a violation")
    func trailingBytesSameChunk() throws {
        var wire = try FrameEncoder().encode(try .ping(clientID: "a", timestamp: 1))
        wire.writeInteger(UInt8(0))
        var decoder = FrameDecoder()
        let error = codecError { try decoder.feed(wire) }
        #expect(error?.code == .trailingBytes)
        #expect(error?.applicationErrorCode == 6)
        // The decoder is spent: the same error repeats.
        #expect(codecError { _ = try decoder.nextFrame() } == error)
        #expect(codecError { _ = try decoder.finish() } == error)
    }

    @Test("a second frame on the same stream is a violation, before or after nextFrame")
    func trailingBytesLaterChunk() throws {
        let wire = try FrameEncoder().encode(try .ping(clientID: "a", timestamp: 1))

        var beforeTaking = FrameDecoder()
        try beforeTaking.feed(wire)
        #expect(codecError { try beforeTaking.feed(wire) }?.code == .trailingBytes)

        var afterTaking = FrameDecoder()
        try afterTaking.feed(wire)
        #expect(try afterTaking.nextFrame() != nil)
        try afterTaking.feed(ByteBuffer())  // an empty read is not a violation
        let error = codecError { try afterTaking.feed(ByteBuffer(bytes: [1])) }
        #expect(error?.code == .trailingBytes)
        #expect(error?.message.contains("1 bytes arrived after the complete frame") == true)
    }

    @Test("a stream that ends mid-frame is truncated", arguments: [0, 1, 3, 4, 10])
    func truncatedAtFinish(length: Int) throws {
        let wire = try FrameEncoder().encode(try .data(SampleFrames.dataMessage)).bytes
        var decoder = FrameDecoder()
        try decoder.feed(ByteBuffer(bytes: wire.prefix(length)))
        #expect(try decoder.nextFrame() == nil)
        let error = codecError { _ = try decoder.finish() }
        #expect(error?.code == .truncated)
        #expect(error?.applicationErrorCode == 6)
    }

    @Test("bytes that are not a protobuf Frame are malformed")
    func malformedFrame() throws {
        var decoder = FrameDecoder()
        // Field 1 with wire type 7, which does not exist.
        try decoder.feed(ByteBuffer(bytes: [0, 0, 0, 2, 0x0F, 0x01]))
        let error = codecError { _ = try decoder.nextFrame() }
        #expect(error?.code == .malformed)
        #expect(error?.applicationErrorCode == 6)
    }

    @Test("a length-delimited field running past the frame is malformed")
    func fieldOverrunsFrame() throws {
        var decoder = FrameDecoder()
        // Field 2 (payload) claims 100 bytes inside a 3-byte frame.
        try decoder.feed(ByteBuffer(bytes: [0, 0, 0, 3, 0x12, 0x64, 0x00]))
        #expect(codecError { _ = try decoder.finish() }?.code == .malformed)
    }
}
