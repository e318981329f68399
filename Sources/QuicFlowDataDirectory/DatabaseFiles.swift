#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps a SQLite database private to its user: payloads may hold anything
/// a device reports, so the directory is 0700 and the files 0600. The
/// agent's outbox and the server's message store both use it.
package enum DatabaseFiles {
    /// The database file and the two files SQLite keeps next to it in WAL mode.
    package static func all(_ path: String) -> [String] {
        [path, path + "-wal", path + "-shm"]
    }

    /// Creates the missing directories above `path` (0700) and an empty
    /// database file (0600) before SQLite opens it, because SQLite gives the
    /// -wal and -shm files the database file's permissions.
    package static func prepare(_ path: String, what: String = "outbox") throws(DataDirectoryError) {
        let directory = parent(of: path)
        if !directory.isEmpty {
            try makeDirectories(directory, what: what)
        }
        // O_EXCL: another process may be creating the same file right now;
        // whoever wins, the file exists afterwards.
        let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd >= 0 {
            // The umask cannot widen 0600, but fchmod also makes the mode
            // exact whatever umask the agent was started with.
            _ = fchmod(fd, 0o600)
            close(fd)
        } else if errno != EEXIST {
            throw DataDirectoryError(.storage, "cannot create the \(what) database \(path): \(lastErrorText()); check that the directory \(directory) is writable by this user")
        }
    }

    /// Makes every existing outbox file 0600 (the -shm file appears only
    /// when SQLite opens the database, so this runs after opening).
    package static func restrict(_ path: String) throws(DataDirectoryError) {
        for file in all(path) {
            var info = stat()
            guard stat(file, &info) == 0 else { continue }
            if info.st_mode & 0o777 != 0o600, chmod(file, 0o600) != 0 {
                throw DataDirectoryError(.storage, "cannot make \(file) private (mode 0600): \(lastErrorText()); run the daemon as the file's owner")
            }
        }
    }

    /// Creates `directory` and those above it that are missing (0700).
    package static func prepareDirectory(_ directory: String, what: String = "data") throws(DataDirectoryError) {
        try makeDirectories(directory, what: what)
    }

    package static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    private static func makeDirectories(_ directory: String, what: String) throws(DataDirectoryError) {
        var info = stat()
        if stat(directory, &info) == 0 {
            if info.st_mode & S_IFMT != S_IFDIR {
                throw DataDirectoryError(.storage, "the \(what) directory \(directory) exists but is not a directory; point the data directory somewhere else")
            }
            return
        }
        let above = parent(of: directory)
        if !above.isEmpty, above != directory {
            try makeDirectories(above, what: what)
        }
        if mkdir(directory, 0o700) != 0 {
            guard errno == EEXIST else {
                throw DataDirectoryError(.storage, "cannot create the \(what) directory \(directory): \(lastErrorText()); create it (mode 0700) or choose a writable path")
            }
            return
        }
        _ = chmod(directory, 0o700)
    }

    private static func lastErrorText() -> String {
        String(cString: strerror(errno))
    }
}
