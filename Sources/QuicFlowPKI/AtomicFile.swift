#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#else
#error("QuicFlowPKI needs a POSIX C library")
#endif

/// Reads and writes small files (PEM certificates and keys) with plain
/// POSIX calls, so that modes are exact and a crash never leaves half a key.
public enum AtomicFile {
    /// Files larger than this are not certificates or keys; refuse them
    /// rather than read a wrong path into memory.
    static let maximumSize = 1 << 20

    /// Writes `contents` to `path` atomically with file mode `mode`.
    ///
    /// The text goes to a new temporary file beside `path` (created with
    /// `O_CREAT | O_EXCL`, so it never follows someone else's file), is
    /// flushed to disk, and then takes `path`'s name in one step: readers see
    /// either the old file or the whole new one.
    ///
    /// - Parameters:
    ///   - contents: The text to write.
    ///   - path: Where the file goes; its directory must exist.
    ///   - mode: The permission bits, such as `0o600` for a private key. The
    ///     process's umask does not narrow them.
    ///   - replacing: Whether an existing file at `path` is replaced. When
    ///     `false`, an existing file is left alone and
    ///     ``PKIError`` with code `alreadyExists` is thrown.
    /// - Throws: ``PKIError`` with code `alreadyExists` or `fileSystem`.
    public static func save(_ contents: String, to path: String, mode: UInt16, replacing: Bool) throws(PKIError) {
        let directory = split(path).directory
        // Not derived from the target's name, which may already be as long as a name can be.
        let temporary = "\(directory)/.atomic-\(getpid())-\(UInt64.random(in: .min ... .max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else {
            throw failure("cannot create a file in '\(directory)'")
        }
        var linked = false
        defer {
            if !linked { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            // open(2) applies the umask; the caller asked for exactly this mode.
            guard fchmod(fd, mode_t(mode)) == 0 else {
                throw failure("cannot set the mode of '\(temporary)'")
            }
            try writeAll(Array(contents.utf8), to: fd, path: temporary)
            guard fsync(fd) == 0 else {
                throw failure("cannot flush '\(temporary)' to disk")
            }
        }
        if replacing {
            guard rename(temporary, path) == 0 else {
                throw failure("cannot replace '\(path)'")
            }
            linked = true
        } else {
            // link(2), unlike rename(2), fails instead of replacing a file
            // that appeared meanwhile: the no-overwrite check has no race.
            guard link(temporary, path) == 0 else {
                if errno == EEXIST {
                    throw PKIError(.alreadyExists, "'\(path)' already exists; it was left unchanged")
                }
                throw failure("cannot create '\(path)'")
            }
        }
        syncDirectory(directory)
    }

    /// Reads a small text file.
    ///
    /// - Parameters:
    ///   - path: The file to read.
    ///   - what: What the file should hold, for the error message ("the CA certificate").
    /// - Returns: The file's text.
    /// - Throws: ``PKIError`` with code `missingFile` if there is no such
    ///   file, `fileSystem` if it cannot be read or is too large.
    public static func load(_ path: String, what: String) throws(PKIError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT {
                throw PKIError(.missingFile, "\(what) '\(path)' does not exist")
            }
            throw failure("cannot open \(what) '\(path)'")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("cannot read \(what) '\(path)'")
            }
            if count == 0 { break }
            bytes += chunk[..<count]
            if bytes.count > maximumSize {
                throw PKIError(.fileSystem, "\(what) '\(path)' is larger than \(maximumSize) bytes; is it the right file?")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Creates a directory with mode `0700`, and any missing parents, unless
    /// it exists already (then its mode is left as it is).
    ///
    /// - Parameter path: The directory.
    /// - Returns: Whether the directory was created.
    /// - Throws: ``PKIError`` with code `fileSystem` if `path` is not a
    ///   directory or cannot be created.
    @discardableResult
    public static func createDirectory(_ path: String) throws(PKIError) -> Bool {
        if isDirectory(path) { return false }
        if exists(path) {
            throw PKIError(.fileSystem, "'\(path)' exists and is not a directory")
        }
        let (parent, _) = split(path)
        if parent != path, !isDirectory(parent) {
            try createDirectory(parent)
        }
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else {
            throw failure("cannot create the directory '\(path)'")
        }
        // As for files: the umask must not change what was asked for.
        guard chmod(path, 0o700) == 0 else {
            throw failure("cannot set the mode of '\(path)'")
        }
        return true
    }

    /// Whether anything (a file, a directory, a dangling symbolic link) is at `path`.
    public static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    /// The directory part and the last component of `path`.
    static func split(_ path: String) -> (directory: String, name: String) {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return (".", String(trimmed)) }
        let directory = slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
        return (directory, String(trimmed[trimmed.index(after: slash)...]))
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws(PKIError) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress! + written, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw failure("cannot write '\(path)'")
            }
            written += result
        }
    }

    /// Makes the new name itself durable; failing here loses nothing that
    /// was promised, so errors are ignored.
    private static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    private static func failure(_ what: String) -> PKIError {
        let reason = String(cString: strerror(errno))
        return PKIError(.fileSystem, "\(what): \(reason)")
    }
}
