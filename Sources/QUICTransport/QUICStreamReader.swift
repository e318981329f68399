public import NIOCore

/// Turns the bytes of one stream into a value, chunk by chunk, on the
/// connection's event loop.
///
/// ``QUICStream/read(using:afterOutput:)`` and ``QUICConnection/exchange(sending:readingWith:timeout:abandonErrorCode:afterOutput:)``
/// drive a reader without leaving the event loop between chunks, so a whole
/// stream costs one hop into the loop and one back, however many packets
/// it arrives in. A reader that throws ends the stream: it is reset and
/// asked to stop sending with ``violationErrorCode``, and the error is
/// rethrown to the caller unchanged.
///
/// A reader whose content is complete before the peer's FIN (one
/// length-prefixed frame, say) returns its output from ``consume(_:)``: the
/// caller gets it at once, whether or not FIN ever comes, since some peers
/// keep their send side open until they have read the answer. The rest of
/// the stream still passes through ``consume(_:)``, so a reader can refuse
/// bytes that arrive after its output; the stream is then reset the same
/// way and the caller's `afterOutput` handler is told.
public protocol QUICStreamReader: Sendable {
    /// What the stream's bytes become.
    associatedtype Output: Sendable

    /// The application error code the stream is reset with when
    /// ``consume(_:)`` or ``finish()`` throws.
    var violationErrorCode: UInt64 { get }

    /// Takes the next bytes from the peer; throws to refuse them. Returns
    /// the output once the bytes so far complete it (the first time only),
    /// or `nil` to read on.
    mutating func consume(_ bytes: ByteBuffer) throws -> Output?

    /// Called at the peer's FIN when ``consume(_:)`` returned no output;
    /// returns the value or throws.
    mutating func finish() throws -> Output
}
