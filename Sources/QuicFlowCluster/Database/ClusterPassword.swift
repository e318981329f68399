public import Foundation

/// Where the password of the cluster database comes from, as libpq finds
/// it: a file named in the configuration, else `PGPASSWORD`, else the
/// `.pgpass` file (`PGPASSFILE` or `~/.pgpass`). Never the command line.
public enum ClusterPassword {
    /// The password for `url`, or `nil` when no source has one (trust or
    /// peer authentication).
    /// - Parameters:
    ///   - file: `[cluster] password_file`, read whole, one trailing newline dropped.
    ///   - environment: The process environment.
    /// - Throws: ``ClusterError`` when a named file cannot be read, is empty,
    ///   or a `.pgpass` file is readable by others (libpq ignores such a
    ///   file; QuicFlow refuses it rather than silently log in without it).
    public static func resolve(
        for url: ClusterDatabaseURL, file: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ClusterError) -> String? {
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ClusterError(.invalidConfiguration, "cannot read the cluster database password file \(file); check the path in [cluster] password_file and that quicflow-server may read it")
            }
            var text = String(decoding: data, as: UTF8.self)
            if text.hasSuffix("\n") { text.removeLast() }
            if text.hasSuffix("\r") { text.removeLast() }
            guard !text.isEmpty else {
                throw ClusterError(.invalidConfiguration, "the cluster database password file \(file) is empty; write the password in it")
            }
            return text
        }
        if let password = environment["PGPASSWORD"], !password.isEmpty { return password }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let passFile = environment["PGPASSFILE"] ?? "\(home)/.pgpass"
        guard FileManager.default.fileExists(atPath: passFile) else { return nil }
        var status = stat()
        if stat(passFile, &status) == 0, status.st_mode & 0o077 != 0 {
            throw ClusterError(.invalidConfiguration, "the password file \(passFile) may be read by others (mode \(String(status.st_mode & 0o777, radix: 8))); run chmod 600 \(passFile)")
        }
        guard let data = FileManager.default.contents(atPath: passFile) else {
            throw ClusterError(.invalidConfiguration, "cannot read the password file \(passFile)")
        }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("#") { continue }
            let fields = fields(of: line)
            guard fields.count == 5 else { continue }
            let wanted = [url.host, String(url.port), url.database, url.user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// A `.pgpass` line's five `:`-separated fields, `\:` and `\\` unescaped.
    static func fields(of line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" && fields.count < 4 {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
