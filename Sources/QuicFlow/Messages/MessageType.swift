/// What a message is for (PROTOCOL.md, `MessageType`).
public enum MessageType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Do something and report the result.
    case command
    /// Something happened; usually no reply is needed.
    case event
    /// Ask for information.
    case query
    /// A reply sent as a message of its own (e.g. a late result).
    case response

    /// The lower-case name.
    public var description: String { rawValue }
}
