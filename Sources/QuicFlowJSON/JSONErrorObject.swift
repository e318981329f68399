/// What a command run with `--json` prints on standard output when it
/// fails, so that a script always reads JSON:
/// `{"error":"the outbox is full ...","exit_status":3}`.
public struct JSONErrorObject: Codable, Sendable, Hashable {
    /// The same sentence the command writes to standard error.
    public let error: String
    /// The command's exit status.
    public let exitStatus: Int32

    enum CodingKeys: String, CodingKey {
        case error
        case exitStatus = "exit_status"
    }

    /// An error object.
    public init(error: String, exitStatus: Int32) {
        self.error = error
        self.exitStatus = exitStatus
    }
}
