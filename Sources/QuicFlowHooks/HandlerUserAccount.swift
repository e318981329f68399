#if canImport(Glibc)
package import Glibc
#elseif canImport(Musl)
package import Musl
#elseif canImport(Darwin)
package import Darwin
#endif

/// The account a handler runs as when its ``HandlerConfiguration/user`` is set, read
/// from the user database.
package struct HandlerUserAccount: Sendable, Hashable {
    /// The login name.
    package let name: String
    /// The user id.
    package let uid: uid_t
    /// The primary group id.
    package let gid: gid_t
    /// Every group the user belongs to, the primary one included; these
    /// replace the agent's own supplementary groups (root's, otherwise).
    package let groups: [gid_t]
    /// The home directory, which becomes the handler's `HOME`.
    package let home: String

    /// Looks `name` up with `getpwnam_r`.
    /// - Throws: ``HookError`` (`unrunnable`) when there is no such user.
    package static func lookup(_ name: String) throws(HookError) -> HandlerUserAccount {
        var entry = passwd()
        var found: UnsafeMutablePointer<passwd>?
        let suggested = sysconf(Int32(_SC_GETPW_R_SIZE_MAX))
        var size = suggested > 0 ? Int(suggested) : 16384
        while true {
            var buffer = [CChar](repeating: 0, count: size)
            let code = getpwnam_r(name, &entry, &buffer, size, &found)
            if code == ERANGE, size < 1 << 20 {
                size *= 2
                continue
            }
            guard code == 0, let found else {
                let reason = code == 0 ? "no such user" : String(cString: strerror(code))
                throw HookError(.unrunnable, "cannot run handler as user '\(name)': \(reason)")
            }
            let uid = found.pointee.pw_uid
            let gid = found.pointee.pw_gid
            let home = String(cString: found.pointee.pw_dir)
            return HandlerUserAccount(name: name, uid: uid, gid: gid, groups: groupList(name, gid), home: home)
        }
    }

    /// The account to switch to before running `executable` as `user`:
    /// `nil` when there is no switch to make (no `user`, or it is this
    /// process's own).
    /// - Throws: ``HookError`` (`unrunnable`) when the account does not exist,
    ///   or when switching to it needs root and this process is not root.
    package static func switching(to user: String?, for executable: String) throws(HookError) -> HandlerUserAccount? {
        guard let user else { return nil }
        let found = try lookup(user)
        if geteuid() == 0 { return found }
        guard found.uid == geteuid() else {
            throw HookError(
                .unrunnable,
                "handler \(executable) is configured to run as user '\(user)', but the agent is not running as root (uid \(geteuid())) and cannot switch users; run the agent as root or remove `user`")
        }
        return nil
    }

    private static func groupList(_ name: String, _ gid: gid_t) -> [gid_t] {
        #if os(Linux)
        var count: Int32 = 32
        while true {
            var groups = [gid_t](repeating: 0, count: Int(count))
            let requested = count
            if getgrouplist(name, gid, &groups, &count) >= 0 {
                return Array(groups.prefix(Int(count)))
            }
            // Too small: glibc stored the size it needs in `count`.
            guard count > requested, count <= 65536 else { return [gid] }
        }
        #else
        return [gid]
        #endif
    }
}
