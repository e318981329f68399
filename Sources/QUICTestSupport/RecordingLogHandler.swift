public import Logging
import Synchronization

/// A swift-log handler that keeps every entry, for tests that assert what
/// was logged (a warning on every insecure connect, say).
public struct RecordingLogHandler: LogHandler {
    /// One logged entry.
    public struct Entry: Sendable {
        /// Its level.
        public let level: Logger.Level
        /// Its message.
        public let message: String
    }

    /// Where the entries go; share it to read them back.
    public final class Store: Sendable {
        private let entries = Mutex<[Entry]>([])

        /// Creates an empty store.
        public init() {}

        /// Every entry so far, oldest first.
        public var all: [Entry] { entries.withLock { $0 } }

        func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }
    }

    private let store: Store
    /// Entries below this level are dropped.
    public var logLevel: Logger.Level = .trace
    /// Metadata of the logger.
    public var metadata: Logger.Metadata = [:]

    /// A logger labelled `label` recording into `store`.
    public static func logger(_ label: String, into store: Store) -> Logger {
        Logger(label: label) { _ in RecordingLogHandler(store: store) }
    }

    init(store: Store) {
        self.store = store
    }

    /// Metadata by key.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Records the entry.
    public func log(event: LogEvent) {
        store.append(Entry(level: event.level, message: "\(event.message)"))
    }
}
