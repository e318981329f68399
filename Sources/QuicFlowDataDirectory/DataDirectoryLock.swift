import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A daemon's claim on its data directory: an exclusive `flock` on a lock
/// file (0600) holding the daemon's pid.
///
/// Two agents on one outbox would deliver the same rows twice, and two
/// servers on one message store would deliver queued messages twice, so a
/// second daemon on the same directory is refused. The kernel drops the
/// lock when the process ends however it ends (kill -9 included), so a stale
/// file never blocks a restart, and `status` can tell whether an agent is
/// running.
public final class DataDirectoryLock: Sendable {
    /// Which daemon takes a lock: its lock file and how errors name it.
    public struct Owner: Sendable {
        /// The lock file's name in the data directory.
        public let fileName: String
        /// The program, for messages ("quicflow-agent").
        public let program: String
        /// The setting that names the directory, for messages.
        public let setting: String

        /// `agent.lock`, taken by `quicflow-agent run`.
        public static let agent = Owner(fileName: "agent.lock", program: "quicflow-agent", setting: "data_dir")
        /// `server.lock`, taken by `quicflow-server serve`.
        public static let server = Owner(fileName: "server.lock", program: "quicflow-server", setting: "--data-dir")
    }

    /// The lock file.
    public let path: String
    /// The descriptor holding the lock; `nil` once released.
    private let descriptor: Mutex<Int32?>

    /// The lock file of `owner` in the data directory `directory`.
    public static func path(inDataDirectory directory: String, owner: Owner = .agent) -> String {
        directory.hasSuffix("/") ? directory + owner.fileName : directory + "/" + owner.fileName
    }

    /// Takes the lock of `directory` (which must exist), writing this
    /// process's pid into it.
    /// - Throws: ``DataDirectoryError`` (`alreadyRunning`) naming the other
    ///   daemon's pid when one holds the lock, or (`storage`) the system's
    ///   reason when the file cannot be opened.
    public init(dataDirectory directory: String, owner: Owner = .agent) throws(DataDirectoryError) {
        let path = Self.path(inDataDirectory: directory, owner: owner)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw DataDirectoryError(.storage, "cannot open the lock file \(path): \(Self.lastErrorText()); check that \(directory) exists and is writable by this user")
        }
        _ = fchmod(fd, 0o600)
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = Self.readPID(fd)
            close(fd)
            let who = holder.map { "pid \($0)" } ?? "another process"
            throw DataDirectoryError(.alreadyRunning, "another \(owner.program) (\(who)) is already running with \(owner.setting) \(directory); stop it first, or give this one its own \(owner.setting)")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        self.path = path
        self.descriptor = Mutex(fd)
    }

    deinit {
        release()
    }

    /// Gives the lock up (the file stays; its content no longer matters).
    public func release() {
        let fd = descriptor.withLock { fd in
            defer { fd = nil }
            return fd
        }
        if let fd { close(fd) }
    }

    /// The agent holding the lock of `directory`: its pid (0 if it cannot
    /// be read) and when it took the lock (Unix ms); `nil` when no agent
    /// runs there.
    public static func holder(dataDirectory directory: String, owner: Owner = .agent) -> (pid: Int32, since: Int64)? {
        let fd = open(path(inDataDirectory: directory, owner: owner), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            _ = flock(fd, LOCK_UN)
            return nil
        }
        // The holder wrote its pid when it took the lock: the file's mtime.
        var info = stat()
        let since = fstat(fd, &info) == 0
            ? Int64(info.st_mtim.tv_sec) * 1_000 + Int64(info.st_mtim.tv_nsec) / 1_000_000 : 0
        return (readPID(fd) ?? 0, since)
    }

    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        return Int32(String(text.prefix { $0 != "\n" }))
    }

    private static func lastErrorText() -> String {
        String(cString: strerror(errno))
    }
}
