package import Subprocess

/// The first `limit` bytes of a stream plus a count of everything read:
/// reading goes on past the limit (the bytes are dropped) so that a chatty
/// handler never blocks on a full pipe.
package struct HandlerOutputPrefix: Sendable {
    /// The kept bytes, at most the limit.
    private(set) var bytes: [UInt8] = []
    /// Every byte seen, kept or not.
    private(set) var totalCount = 0
    /// Most bytes kept.
    package let limit: Int

    package init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// Whether bytes were dropped.
    package var truncated: Bool { totalCount > limit }

    /// Adds one chunk.
    package mutating func append(_ chunk: UnsafeRawBufferPointer) {
        totalCount += chunk.count
        let room = limit - bytes.count
        if room > 0 {
            bytes.append(contentsOf: chunk.prefix(room))
        }
    }

    /// Reads `stream` to its end (or until it fails) and keeps its prefix.
    package static func collect(_ stream: SubprocessOutputSequence, limit: Int) async -> HandlerOutputPrefix {
        var prefix = HandlerOutputPrefix(limit: limit)
        do {
            for try await buffer in stream {
                buffer.withUnsafeBytes { prefix.append($0) }
            }
        } catch {
            // A read error ends the stream; what arrived so far still counts.
        }
        return prefix
    }
}
