/// An HTTP answer of the admin API.
public struct AdminReply: Sendable, Hashable {
    /// The HTTP status code.
    public let status: Int
    /// The body's bytes.
    public let body: [UInt8]

    /// Creates a reply.
    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    /// The body as text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
