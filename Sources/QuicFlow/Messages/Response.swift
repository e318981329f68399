/// The receiver's answer to a message sent with `waitAck` (the ACK).
public struct Response: Sendable, Hashable {
    /// How the receiver's handling ended.
    public enum Status: String, Sendable, Hashable, CustomStringConvertible {
        /// The handler succeeded; ``Response/result`` holds its output.
        case success
        /// The handler failed or there was none; ``Response/error`` says why.
        case failure
        /// No answer in time (the handler's or the sender's timeout).
        case timeout

        /// The lower-case name.
        public var description: String { rawValue }
    }

    /// How it ended.
    public var status: Status
    /// The handler's output.
    public var result: [UInt8]
    /// Why it failed, for ``Status/failure`` and ``Status/timeout``.
    public var error: String

    /// Creates a response.
    public init(status: Status, result: [UInt8] = [], error: String = "") {
        self.status = status
        self.result = result
        self.error = error
    }

    /// A success carrying `result`.
    public static func success(_ result: [UInt8] = []) -> Response { Response(status: .success, result: result) }

    /// A success carrying UTF-8 text.
    public static func success(text: String) -> Response { Response(status: .success, result: Array(text.utf8)) }

    /// A failure with a reason.
    public static func failure(_ error: String) -> Response { Response(status: .failure, error: error) }

    /// A timeout with a reason.
    public static func timeout(_ error: String) -> Response { Response(status: .timeout, error: error) }

    /// The result decoded as UTF-8.
    public var text: String { String(decoding: result, as: UTF8.self) }
}
