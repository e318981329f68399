#if canImport(Glibc)
package import Glibc
#elseif canImport(Musl)
package import Musl
#elseif canImport(Darwin)
package import Darwin
#endif

/// What `/proc` tells about processes (Linux only; elsewhere every lookup
/// finds nothing and ``isAvailable`` is `false`).
package enum ProcessTable {
    /// One line of `/proc/PID/stat`, the fields the leftover handling needs.
    package struct Entry: Sendable, Hashable {
        package let pid: pid_t
        /// `R`, `S`, `D`, `Z`, ... (field 3).
        package let state: UInt8
        /// Field 4.
        package let parent: pid_t
        /// Field 5: the process group.
        package let group: pid_t
        /// Field 6: the session.
        package let session: pid_t
        /// Field 22: when the process was created (forked), in clock ticks
        /// since boot. With the pid it names one process for the whole boot.
        package let startTicks: UInt64

        /// A zombie: dead, waiting for its parent to reap it.
        package var isZombie: Bool { state == UInt8(ascii: "Z") || state == UInt8(ascii: "X") }
    }

    /// Whether `/proc` can be read here.
    package static var isAvailable: Bool {
        #if os(Linux)
        return access("/proc/self/stat", R_OK) == 0
        #else
        return false
        #endif
    }

    /// The process `pid`, or `nil` when there is none (or no `/proc`).
    package static func entry(_ pid: pid_t) -> Entry? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: statLimit) { buffer in
            let count = read("/proc/\(pid)/stat", into: buffer)
            return count > 0 ? parse(UnsafeBufferPointer(rebasing: buffer[..<count])) : nil
        }
    }

    /// Every process that can be seen now. Processes come and go while the
    /// directory is read: one that ended meanwhile is missing, one that
    /// started meanwhile may be missing too.
    package static func all() -> [Entry] {
        #if os(Linux)
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var entries: [Entry] = []
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: statLimit) { buffer in
            while let item = readdir(directory) {
                // Only the numeric names are processes.
                let pid = withUnsafeBytes(of: item.pointee.d_name) { name -> pid_t? in
                    var value: Int32 = 0
                    for byte in name {
                        if byte == 0 { break }
                        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), value < Int32.max / 10 - 1 else {
                            return nil
                        }
                        value = value * 10 + Int32(byte - UInt8(ascii: "0"))
                    }
                    return value > 0 ? value : nil
                }
                guard let pid else { continue }
                let count = read("/proc/\(pid)/stat", into: buffer)
                if count > 0, let entry = parse(UnsafeBufferPointer(rebasing: buffer[..<count])) {
                    entries.append(entry)
                }
            }
        }
        return entries
        #else
        return []
        #endif
    }

    /// Parses one `/proc/PID/stat` line. The command name (field 2) may hold
    /// spaces and parentheses, so fields are counted from its last `)`.
    package static func parse(_ text: String) -> Entry? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { parse($0) }
    }

    private static func parse(_ line: UnsafeBufferPointer<UInt8>) -> Entry? {
        let space = UInt8(ascii: " ")
        guard let open = line.firstIndex(of: UInt8(ascii: "(")),
            let close = line.lastIndex(of: UInt8(ascii: ")")),
            let pid = number(line[..<open].filter { $0 != space })
        else { return nil }
        // Fields 3... after the name: field n is fields[n - 3].
        var fields: [Slice<UnsafeBufferPointer<UInt8>>] = []
        fields.reserveCapacity(20)
        var index = close + 1
        while fields.count < 20 && index < line.endIndex {
            while index < line.endIndex && line[index] == space { index += 1 }
            let start = index
            while index < line.endIndex && line[index] != space && line[index] != UInt8(ascii: "\n") { index += 1 }
            if start < index { fields.append(line[start..<index]) }
            if index < line.endIndex && line[index] == UInt8(ascii: "\n") { break }
        }
        guard fields.count == 20, let state = fields[0].first,
            let parent = number(fields[1]), let group = number(fields[2]), let session = number(fields[3]),
            let start = number(fields[19])
        else { return nil }
        return Entry(
            pid: pid_t(truncatingIfNeeded: pid), state: state, parent: pid_t(truncatingIfNeeded: parent),
            group: pid_t(truncatingIfNeeded: group), session: pid_t(truncatingIfNeeded: session), startTicks: start)
    }

    /// A decimal number of at most 19 digits (a leading `-` gives 0, as for
    /// the fields where the kernel writes -1); `nil` for anything else.
    private static func number<Digits: Collection<UInt8>>(_ digits: Digits) -> UInt64? {
        guard !digits.isEmpty, digits.count <= 19 else { return nil }
        if digits.first == UInt8(ascii: "-") { return digits.dropFirst().allSatisfy(isDigit) ? 0 : nil }
        var value: UInt64 = 0
        for byte in digits {
            guard isDigit(byte) else { return nil }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// Longest `/proc/PID/stat` line read: the fields used come well before.
    private static let statLimit = 1024

    /// The id of the running boot (`/proc/sys/kernel/random/boot_id`); a
    /// pid and a start time name the same process only within one boot.
    package static func bootID() -> String? {
        guard let text = read("/proc/sys/kernel/random/boot_id", limit: 128) else { return nil }
        let id = text.trimmingSpaces
        return id.isEmpty ? nil : String(id)
    }

    /// The time since boot in clock ticks, rounded down: a process forked
    /// after this call has a ``Entry/startTicks`` at least this large (both
    /// count the boot-time clock).
    package static func nowTicks() -> UInt64? {
        // "12345.67 54321.00": seconds with two decimals.
        guard let text = read("/proc/uptime", limit: 128),
            let first = text.split(separator: " ").first
        else { return nil }
        let parts = first.split(separator: ".")
        guard let seconds = UInt64(parts[0]) else { return nil }
        let hundredths = parts.count > 1 ? UInt64(parts[1].prefix(2)) ?? 0 : 0
        let perSecond = UInt64(max(1, sysconf(Int32(_SC_CLK_TCK))))
        return (seconds * 100 + hundredths) * perSecond / 100
    }

    /// A small file's contents; `nil` when it cannot be read.
    private static func read(_ path: String, limit: Int) -> String? {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: limit) { buffer in
            let count = read(path, into: buffer)
            return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
        }
    }

    /// Reads up to `buffer.count` bytes of a file; returns how many (0 when
    /// it cannot be read).
    private static func read(_ path: String, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var count = 0
        while count < buffer.count {
            let got = systemRead(fd, buffer.baseAddress! + count, buffer.count - count)
            if got > 0 {
                count += got
            } else if got < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        return count
    }
}

/// `read(2)`, out of reach of ``ProcessTable/read(_:limit:)``'s name.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}

extension StringProtocol {
    fileprivate var trimmingSpaces: SubSequence {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[start...end]
    }
}
