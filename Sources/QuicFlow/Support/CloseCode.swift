/// Application error codes for CONNECTION_CLOSE and RESET_STREAM.
enum CloseCode {
    static let normal: UInt64 = 0
    static let registrationFailed: UInt64 = 1
    static let superseded: UInt64 = 2
    static let heartbeatTimeout: UInt64 = 3
    static let serverFull: UInt64 = 4
    static let identityMismatch: UInt64 = 5
    static let protocolViolation: UInt64 = 6
    static let shuttingDown: UInt64 = 7
}
