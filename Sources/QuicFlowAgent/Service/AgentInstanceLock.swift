import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The running agent's claim on its data directory: an exclusive `flock`
/// on `agent.lock` (0600) holding the agent's pid.
///
/// Two agents on one outbox would deliver the same rows twice, so a second
/// `quicflow-agent run` is refused. The kernel drops the lock when the
/// process ends however it ends (kill -9 included), so a stale file never
/// blocks a restart, and `status` can tell whether an agent is running.
public final class AgentInstanceLock: Sendable {
    /// The lock file.
    public let path: String
    /// The descriptor holding the lock; `nil` once released.
    private let descriptor: Mutex<Int32?>

    /// The lock file for the data directory `directory`.
    public static func path(inDataDirectory directory: String) -> String {
        directory.hasSuffix("/") ? directory + "agent.lock" : directory + "/agent.lock"
    }

    /// Takes the lock of `directory` (which must exist), writing this
    /// process's pid into it.
    /// - Throws: ``AgentError`` (`storage`) naming the other agent's pid
    ///   when one holds the lock, or the system's reason when the file
    ///   cannot be opened.
    public init(dataDirectory directory: String) throws(AgentError) {
        let path = Self.path(inDataDirectory: directory)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw AgentError(.storage, "cannot open the lock file \(path): \(Self.lastErrorText()); check that \(directory) exists and is writable by this user")
        }
        _ = fchmod(fd, 0o600)
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = Self.readPID(fd)
            close(fd)
            let who = holder.map { "pid \($0)" } ?? "another process"
            throw AgentError(.storage, "another quicflow-agent (\(who)) is already running with data_dir \(directory); stop it first, or give this agent its own data_dir")
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
    public static func holder(dataDirectory directory: String) -> (pid: Int32, since: Int64)? {
        let fd = open(path(inDataDirectory: directory), O_RDONLY | O_CLOEXEC)
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
