#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the configuration file with POSIX calls, so that a failure names
/// the path and the system's reason ("No such file or directory",
/// "Permission denied") in plain words.
package enum ConfigurationFile {
    /// The whole file at `path` as text.
    /// - Throws: ``ConfigurationError`` naming `path`.
    package static func contents(atPath path: String) throws(ConfigurationError) -> String {
        guard !path.isEmpty else {
            throw ConfigurationError("the configuration file path is empty")
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path) }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure(path) }
        // read() on a directory fails with a less helpful EISDIR, or on some systems succeeds.
        if (status.st_mode & S_IFMT) == S_IFDIR {
            throw ConfigurationError(
                "cannot read the configuration file \(path): it is a directory")
        }

        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes += chunk[..<count]
            } else if count == 0 {
                break
            } else if errno != EINTR {
                throw failure(path)
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigurationError("cannot read the configuration file \(path): it is not UTF-8 text")
        }
        return text
    }

    /// The error for a failed system call, with `errno`'s reason.
    private static func failure(_ path: String) -> ConfigurationError {
        let reason = String(cString: strerror(errno))
        return ConfigurationError("cannot read the configuration file \(path): \(reason)")
    }
}
