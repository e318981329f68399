/// Comparison of secrets (the admin token) whose time does not depend on
/// where the bytes differ, so a token cannot be guessed byte by byte.
enum ConstantTime {
    /// Equal length and bytes, in time that depends only on the lengths.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        // The length difference is kept whole: folded into a byte, lengths
        // 256 apart would compare equal, and the token followed by 256 NUL
        // bytes would be accepted.
        var difference = a.count ^ b.count
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= Int(x ^ y)
        }
        return difference == 0
    }
}
