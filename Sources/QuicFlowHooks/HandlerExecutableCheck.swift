#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
package import Musl
#elseif canImport(Darwin)
package import Darwin
#endif

/// The checks a handler file must pass before the agent runs it.
///
/// A file that anyone could have changed is refused: the agent (often root)
/// would otherwise run code that an unprivileged user wrote.
package enum HandlerExecutableCheck {
    /// Checks that `path` is an absolute path to a regular, executable file
    /// that is not world-writable and is owned by root or by the agent's own
    /// user. Symbolic links are followed; the file they lead to is checked.
    /// - Throws: ``HookError`` (`unrunnable`) saying which check failed and
    ///   naming the path.
    package static func validate(_ path: String) throws(HookError) {
        guard path.hasPrefix("/") else {
            throw HookError(.unrunnable, "handler executable \(path) is not an absolute path; configure its full path, starting with /")
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR {
                throw HookError(.unrunnable, "handler executable \(path) does not exist")
            }
            throw HookError(.unrunnable, "cannot inspect handler executable \(path): \(String(cString: strerror(code)))")
        }
        let mode = UInt32(info.st_mode)
        // S_IFMT / S_IFREG, S_IWOTH and the three execute bits, spelled out
        // because the C macros are not all visible from Swift on every platform.
        guard mode & 0o170000 == 0o100000 else {
            throw HookError(.unrunnable, "handler executable \(path) is not a regular file")
        }
        guard mode & 0o002 == 0 else {
            throw HookError(
                .unrunnable,
                "refusing to run handler executable \(path): it is world-writable (mode \(octal(mode & 0o7777))); remove write permission for others (chmod o-w)")
        }
        let owner = info.st_uid
        guard owner == 0 || owner == geteuid() else {
            throw HookError(
                .unrunnable,
                "refusing to run handler executable \(path): it is owned by another user (uid \(owner)); it must belong to root or to the agent's user (uid \(geteuid()))")
        }
        guard mode & 0o111 != 0, access(path, X_OK) == 0 else {
            throw HookError(.unrunnable, "handler executable \(path) is not executable (mode \(octal(mode & 0o7777))); chmod +x it")
        }
    }

    private static func octal(_ value: UInt32) -> String {
        let digits = String(value, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
