/// Message ids the admin API gives the messages it sends, so that it can
/// return them to the operator.
enum MessageIDs {
    /// 32 random hex digits.
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let digits = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }
}
