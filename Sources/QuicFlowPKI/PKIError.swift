/// An error from the fleet certificate authority: a stable ``code`` and a
/// message a person can act on.
public struct PKIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// An argument is out of range: an empty name, a bad IP address
        /// literal, a validity that is not positive.
        public static let invalidArgument = Code("invalidArgument")
        /// A client id is empty, too long, or unusable as a file name.
        public static let invalidClientID = Code("invalidClientID")
        /// PEM text is not a certificate or a P-256 private key.
        public static let invalidPEM = Code("invalidPEM")
        /// A private key does not belong to the certificate it came with.
        public static let keyMismatch = Code("keyMismatch")
        /// The certificate given as a CA is not allowed to sign certificates.
        public static let notAuthority = Code("notAuthority")
        /// The CA certificate has expired; nothing it signs would be accepted.
        public static let expired = Code("expired")
        /// A file that would be written exists already; nothing was replaced.
        public static let alreadyExists = Code("alreadyExists")
        /// A file that should be read does not exist.
        public static let missingFile = Code("missingFile")
        /// A system call on a file or directory failed.
        public static let fileSystem = Code("fileSystem")
        /// swift-certificates could not build or serialise a certificate.
        public static let certificateBuilding = Code("certificateBuilding")

        /// The code's name.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong and what to do.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
