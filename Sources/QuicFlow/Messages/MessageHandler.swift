/// Handles the messages of one type, on the server or the client.
///
/// A thrown error becomes a FAILURE acknowledgement carrying the error's
/// description; a handler that runs past the handler timeout yields TIMEOUT.
public protocol MessageHandler: Sendable {
    /// Handles one message and says how it went.
    func handle(_ message: IncomingMessage) async throws -> Response
}

/// A ``MessageHandler`` made from a closure.
public struct ClosureMessageHandler: MessageHandler {
    private let body: @Sendable (IncomingMessage) async throws -> Response

    /// Wraps `body`.
    public init(_ body: @escaping @Sendable (IncomingMessage) async throws -> Response) {
        self.body = body
    }

    /// Calls the closure.
    public func handle(_ message: IncomingMessage) async throws -> Response {
        try await body(message)
    }
}
