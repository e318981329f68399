public import NIOCore

/// Turns the bytes of one stream into a value, chunk by chunk, on the
/// connection's event loop.
///
/// ``QUICStream/read(using:)`` and ``QUICConnection/exchange(sending:readingWith:timeout:abandonErrorCode:)``
/// drive a reader without leaving the event loop between chunks, so a whole
/// stream costs one hop into the loop and one back, however many packets
/// it arrives in. A reader that throws ends the stream: it is reset and
/// asked to stop sending with ``violationErrorCode``, and the error is
/// rethrown to the caller unchanged.
public protocol QUICStreamReader: Sendable {
    /// What the stream's bytes become.
    associatedtype Output: Sendable

    /// The application error code the stream is reset with when
    /// ``consume(_:)`` or ``finish()`` throws.
    var violationErrorCode: UInt64 { get }

    /// Takes the next bytes from the peer; throws to refuse them.
    mutating func consume(_ bytes: ByteBuffer) throws

    /// Called at the peer's FIN; returns the value or throws.
    mutating func finish() throws -> Output
}
