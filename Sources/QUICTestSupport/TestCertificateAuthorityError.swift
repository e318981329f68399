/// An error thrown by ``TestCertificateAuthority``.
public struct TestCertificateAuthorityError: Error, Hashable, CustomStringConvertible {
    /// What went wrong, in words.
    public let message: String

    /// The `errno` value of the failed system call, if the error came from one.
    public let errno: Int32?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - message: What went wrong.
    ///   - errno: The `errno` of the failed system call, if any.
    public init(_ message: String, errno: Int32? = nil) {
        self.message = message
        self.errno = errno
    }

    /// A textual representation of the error, including `errno` when present.
    public var description: String {
        if let errno = self.errno {
            return "TestCertificateAuthorityError: \(self.message) (errno \(errno))"
        }
        return "TestCertificateAuthorityError: \(self.message)"
    }
}
