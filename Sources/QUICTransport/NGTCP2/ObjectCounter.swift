import Synchronization

/// Counts live objects of one endpoint, so that tests can prove that
/// closed connections and streams leave nothing behind.
final class ObjectCounter: Sendable {
    let connections = Atomic<Int>(0)
    let streams = Atomic<Int>(0)
}
