import QUICTransport
import Synchronization

/// Hands the stream an exchange opened to whoever has to clean it up after
/// a timeout.
final class StreamSlot: Sendable {
    private let stream = Mutex<QUICStream?>(nil)

    func set(_ value: QUICStream) {
        stream.withLock { $0 = value }
    }

    func get() -> QUICStream? {
        stream.withLock { $0 }
    }
}
