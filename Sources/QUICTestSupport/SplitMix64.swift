/// A small, fast, seedable pseudo-random number generator (Steele, Lea and Flood's SplitMix64).
///
/// Not cryptographically secure. Use it where a test needs reproducible randomness, such as the
/// fault decisions of ``UDPFaultProxy``: the same seed always yields the same sequence.
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    private var state: UInt64

    /// Creates a generator whose sequence is fully determined by `seed`.
    ///
    /// - Parameter seed: Any value; every seed, including zero, gives a good sequence.
    public init(seed: UInt64) {
        self.state = seed
    }

    /// Creates a generator seeded from the system's random number generator.
    public init() {
        var system = SystemRandomNumberGenerator()
        self.init(seed: system.next())
    }

    /// Returns the next 64 pseudo-random bits and advances the generator.
    public mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z &>> 31)
    }

    /// Returns `true` with probability `probability`, clamped to `0...1`.
    ///
    /// Draws nothing from the generator when the outcome is certain, so that disabled faults do
    /// not shift the sequence seen by enabled ones.
    ///
    /// - Parameter probability: The chance of returning `true`.
    /// - Returns: Whether the event happened.
    public mutating func chance(_ probability: Double) -> Bool {
        if probability <= 0 { return false }
        if probability >= 1 { return true }
        // The top 53 bits give a uniformly distributed Double in [0, 1).
        return Double(self.next() &>> 11) * 0x1p-53 < probability
    }
}
