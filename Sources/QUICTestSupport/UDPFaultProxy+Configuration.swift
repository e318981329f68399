public import NIOCore

extension UDPFaultProxy {
    /// The faults a ``UDPFaultProxy`` injects.
    ///
    /// Every fault applies independently to each datagram, in each direction. The default
    /// configuration forwards everything unchanged.
    public struct Configuration: Sendable, Hashable {
        /// The probability, in `0...1`, that a datagram is dropped.
        public var lossRate: Double

        /// The probability, in `0...1`, that a datagram is held back and delivered after the next
        /// datagram of the same client in the same direction.
        ///
        /// If no later datagram arrives within ``reorderDelay``, the held one is delivered then.
        public var reorderRate: Double

        /// How long a datagram held back for reordering waits for a later one to overtake it.
        public var reorderDelay: TimeAmount

        /// The probability, in `0...1`, that a datagram is delivered twice.
        public var duplicateRate: Double

        /// A fixed one-way delay added to every datagram, in each direction.
        public var delay: TimeAmount

        /// The seed of the generator behind all fault decisions, or `nil` to seed it randomly.
        ///
        /// With a seed, the proxy makes the same decisions for the same sequence of arriving
        /// datagrams, which makes a failing test reproducible. Each direction draws from its own
        /// generator, so decisions in one direction depend only on the order of the datagrams in
        /// that direction, not on how they interleave with the other.
        public var seed: UInt64?

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - lossRate: The probability, in `0...1`, that a datagram is dropped.
        ///   - reorderRate: The probability, in `0...1`, that a datagram is delivered after the next one.
        ///   - reorderDelay: How long a held-back datagram waits for a later one.
        ///   - duplicateRate: The probability, in `0...1`, that a datagram is delivered twice.
        ///   - delay: A fixed one-way delay for every datagram.
        ///   - seed: The random seed, or `nil` for a random one.
        public init(
            lossRate: Double = 0,
            reorderRate: Double = 0,
            reorderDelay: TimeAmount = .milliseconds(10),
            duplicateRate: Double = 0,
            delay: TimeAmount = .zero,
            seed: UInt64? = nil
        ) {
            self.lossRate = lossRate
            self.reorderRate = reorderRate
            self.reorderDelay = reorderDelay
            self.duplicateRate = duplicateRate
            self.delay = delay
            self.seed = seed
        }

        /// A configuration that forwards every datagram unchanged.
        public static let passthrough = Configuration()

        func validate() {
            precondition((0...1).contains(self.lossRate), "lossRate must be in 0...1, got \(self.lossRate)")
            precondition((0...1).contains(self.reorderRate), "reorderRate must be in 0...1, got \(self.reorderRate)")
            precondition(
                (0...1).contains(self.duplicateRate),
                "duplicateRate must be in 0...1, got \(self.duplicateRate)"
            )
            precondition(self.reorderDelay >= .zero, "reorderDelay must not be negative, got \(self.reorderDelay)")
            precondition(self.delay >= .zero, "delay must not be negative, got \(self.delay)")
        }
    }
}
