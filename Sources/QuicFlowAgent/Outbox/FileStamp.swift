#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `stat` says about a few files (inode, size, modification time): a
/// cheap way to see that a database may have changed before asking SQLite.
struct FileStamp: Sendable, Hashable {
    private let values: [Int64]

    /// The stamp of `paths` now; a missing file counts as all zeros.
    static func of(_ paths: [String]) -> FileStamp {
        var values: [Int64] = []
        for path in paths {
            var info = stat()
            if stat(path, &info) == 0 {
                values += [Int64(info.st_ino), Int64(info.st_size), Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec)]
            } else {
                values += [0, 0, 0, 0]
            }
        }
        return FileStamp(values: values)
    }

    /// The file at `path` as the file system knows it (device and inode),
    /// or `nil` when there is none: what changes when a file is deleted
    /// and created again, or replaced by a rename.
    static func identity(of path: String) -> [Int64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [Int64(info.st_dev), Int64(info.st_ino)]
    }
}
