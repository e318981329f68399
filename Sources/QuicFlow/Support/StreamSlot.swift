import QUICTransport
import Synchronization

/// Hands the stream an exchange opened to whoever has to clean it up after
/// a timeout, including a stream that is opened only after the timeout fired
/// (on a loaded machine the open can lose that race).
final class StreamSlot: Sendable {
    private struct State {
        var stream: QUICStream?
        var abandoned = false
    }

    private let state = Mutex(State())

    /// Stores the stream; `false` when the exchange was already abandoned,
    /// and the caller must release the stream itself.
    func set(_ value: QUICStream) -> Bool {
        state.withLock { state in
            guard !state.abandoned else { return false }
            state.stream = value
            return true
        }
    }

    /// Marks the exchange abandoned and returns the stream if one was set.
    func abandon() -> QUICStream? {
        state.withLock { state in
            state.abandoned = true
            return state.stream
        }
    }
}
