package import Subprocess

/// The last `limit` bytes of a stream (a handler's standard error), which is
/// where the reason for a failure usually is.
package struct HandlerErrorTail: Sendable {
    private var buffer: [UInt8] = []
    /// Most bytes kept.
    package let limit: Int

    package init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// Adds one chunk, forgetting the oldest bytes past the limit.
    package mutating func append(_ chunk: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: chunk.suffix(limit))
        // Trim in batches so that a long stream costs linear time, not
        // quadratic.
        if buffer.count > 2 * limit {
            buffer.removeFirst(buffer.count - limit)
        }
    }

    /// The kept bytes.
    package var bytes: [UInt8] { Array(buffer.suffix(limit)) }

    /// The kept bytes as text: a UTF-8 sequence cut by the limit is dropped
    /// rather than shown as a replacement character, and trailing white
    /// space (the usual final newline) is trimmed.
    package var text: String {
        var tail = ArraySlice(bytes)
        // A UTF-8 sequence is at most 4 bytes, so at most 3 continuation
        // bytes can be left over from a cut one.
        for _ in 0..<3 {
            guard let first = tail.first, first & 0b1100_0000 == 0b1000_0000 else { break }
            tail = tail.dropFirst()
        }
        let text = String(decoding: tail, as: UTF8.self)
        var end = text.endIndex
        while end > text.startIndex, text[text.index(before: end)].isWhitespace {
            end = text.index(before: end)
        }
        return String(text[..<end])
    }

    /// Reads `stream` to its end (or until it fails) and keeps its tail.
    package static func collect(_ stream: SubprocessOutputSequence, limit: Int) async -> HandlerErrorTail {
        var tail = HandlerErrorTail(limit: limit)
        do {
            for try await buffer in stream {
                buffer.withUnsafeBytes { tail.append($0) }
            }
        } catch {
            // A read error ends the stream; what arrived so far still counts.
        }
        return tail
    }
}
