/// Reads and writes the sizes of the configuration file: a whole number of
/// bytes, either plain ("4096") or with one binary unit, `B`, `KiB`, `MiB`,
/// `GiB` or `TiB` ("512B", "64KiB", "1MiB", "2GiB").
///
/// Decimal units ("KB", "MB") are rejected rather than guessed at: whether
/// they mean 1000 or 1024 is exactly the ambiguity the binary units remove.
package enum ByteSizeParser {
    /// What an error message offers as the accepted forms.
    package static let acceptedForms = "use forms like 512B, 64KiB, 1MiB, 2GiB or a plain number of bytes"

    /// The units, longest suffix first so that "KiB" is tried before "B".
    private static let units: [(suffix: String, bytes: Int64)] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
        ("B", 1),
        ("", 1),
    ]

    /// Parses `text` such as "64KiB" into a number of bytes.
    ///
    /// Zero ("0B") parses; whether zero is allowed is up to the caller.
    /// - Throws: ``ConfigurationError`` saying what was
    ///   given and which forms are accepted.
    package static func parse(_ text: String) throws(ConfigurationError) -> Int {
        for unit in units where text.hasSuffix(unit.suffix) {
            let digits = text.dropLast(unit.suffix.count)
            // Text can end in a unit by accident ("64KB" ends in "B"); only digits before it count.
            guard WholeNumber.isDigits(digits) else { continue }
            // Overflow would silently wrap into a nonsense (or negative) size.
            guard let count = Int64(digits),
                case (let bytes, false) = count.multipliedReportingOverflow(by: unit.bytes),
                let size = Int(exactly: bytes)
            else {
                throw ConfigurationError("\(Quoted(text)) is too large a size; \(acceptedForms)")
            }
            return size
        }
        throw ConfigurationError("\(Quoted(text)) is not a size; \(acceptedForms)")
    }

    /// Writes `bytes` in the largest binary unit that expresses it exactly
    /// ("1536KiB" rather than "1.5MiB"), so that `parse(format(n)) == n`
    /// for every `n >= 0`. Negative numbers are written plain, which
    /// ``parse(_:)`` rejects.
    package static func format(_ bytes: Int) -> String {
        guard bytes > 0 else { return bytes == 0 ? "0B" : "\(bytes)" }
        for unit in units where !unit.suffix.isEmpty && Int64(bytes) % unit.bytes == 0 {
            return "\(Int64(bytes) / unit.bytes)\(unit.suffix)"
        }
        return "\(bytes)B"
    }
}
