import Foundation
import NIOCore
import QuicFlowProtocol
import Testing

/// Runs `body` and returns the codec error it threw, or nil if it returned.
///
/// Closures infer `throws(any Error)` without the FullTypedThrows feature, so the body
/// is untyped here and any other error is recorded as an issue.
func codecError(
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> FrameCodecError? {
    do {
        try body()
        return nil
    } catch let error as FrameCodecError {
        return error
    } catch {
        Issue.record("expected a FrameCodecError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A deterministic random number generator (SplitMix64), so a failing split is
/// reproducible from its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Sample frames of every type, with every field set.
enum SampleFrames {
    static let timestamp: Int64 = 1_700_000_000_000

    static var dataMessage: DataMessage {
        var message = DataMessage()
        message.msgID = "msg-42"
        message.senderID = "device-7"
        message.receiverID = "server"
        message.type = .query
        message.payload = Data("{\"q\":\"uptime\"}".utf8)
        message.waitAck = true
        message.timestamp = timestamp
        return message
    }

    static var ackMessage: AckMessage {
        var message = AckMessage()
        message.msgID = "msg-42"
        message.status = .failure
        message.result = Data([0, 1, 2, 255])
        message.error = "no handler for QUERY"
        return message
    }

    static func all() throws -> [Frame] {
        [
            try .ping(clientID: "device-7", timestamp: timestamp),
            try .pong(serverTime: timestamp + 5, timestamp: timestamp),
            try .data(dataMessage, timestamp: timestamp),
            try .ack(ackMessage, timestamp: timestamp),
        ]
    }
}

extension ByteBuffer {
    /// The readable bytes as an array, for comparing with literals.
    var bytes: [UInt8] { getBytes(at: readerIndex, length: readableBytes) ?? [] }
}
