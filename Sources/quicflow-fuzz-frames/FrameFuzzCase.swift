import NIOCore
import QuicFlowProtocol
import SwiftProtobuf

/// One fuzz input through the frame codec and protobuf decoding, with the
/// properties that must hold for any bytes at all: no crash, the same
/// outcome however the bytes are split into chunks, a bounded buffer, and
/// a valid message (its payload decodes) that re-encodes to bytes decoding
/// to the same frame. A frame that only parses (`08 00`: the type field
/// written out as 0) is refused by payload decoding, and the encoder never
/// writes one, so it is not required to round-trip.
/// A property that fails traps, which libFuzzer reports with the input.
enum FrameFuzzCase {
    /// Small enough that inputs reach the size limit; the limit's logic is
    /// the same at every size.
    static let maxFrameSize = 4_096

    static func run(_ bytes: [UInt8]) {
        let whole = decode([bytes])
        // Split where the input itself says, so the fuzzer explores splits too.
        let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        let halves = decode([Array(bytes[..<cut]), Array(bytes[cut...])])
        precondition(whole == halves, "chunking changed the outcome: \(whole) vs \(halves)")
        if bytes.count <= 512 {
            let single = decode(bytes.map { [$0] })
            precondition(whole == single, "byte-by-byte changed the outcome: \(whole) vs \(single)")
        }
        if case .frame(let frame, let payload?) = whole {
            let again = FrameEncoder(maxFrameSize: maxFrameSize)
            guard let encoded = try? again.encode(frame) else {
                preconditionFailure("a frame that decoded does not encode again")
            }
            let round = decode([Array(buffer: encoded)])
            precondition(round == .frame(frame, payload), "re-encoding changed the frame")
        }
        // The payload decoders on their own, fed raw bytes.
        _ = try? DataMessage(serializedBytes: bytes)
        _ = try? AckMessage(serializedBytes: bytes)
        _ = try? PingFrame(serializedBytes: bytes)
        _ = try? PongFrame(serializedBytes: bytes)
    }

    enum Outcome: Equatable, CustomStringConvertible {
        case frame(Frame, FramePayload?)
        case none
        case error(FrameCodecError.Code)

        var description: String {
            switch self {
            case .frame(let frame, let payload): "frame \(frame.type) payload \(payload.map { "\($0.frameType)" } ?? "undecodable")"
            case .none: "no frame"
            case .error(let code): "error \(code)"
            }
        }
    }

    private static func decode(_ chunks: [[UInt8]]) -> Outcome {
        var decoder = FrameDecoder(maxFrameSize: maxFrameSize)
        do {
            for chunk in chunks {
                try decoder.feed(ByteBuffer(bytes: chunk))
                // What arrives may be buffered only up to the frame it declares.
                precondition(decoder.bufferedByteCount <= maxFrameSize + 4, "buffered \(decoder.bufferedByteCount) bytes")
            }
            guard let frame = try decoder.finish() else { return .none }
            return .frame(frame, try? frame.decodePayload())
        } catch {
            return .error(error.code)
        }
    }
}
