extension UDPFaultProxy {
    /// Datagram counters for one direction through a ``UDPFaultProxy``.
    ///
    /// Once the proxy is idle (nothing delayed or held back),
    /// `received + duplicated == forwarded + dropped`.
    public struct DirectionStatistics: Sendable, Hashable {
        /// Datagrams that arrived at the proxy.
        public var received: Int

        /// Datagrams sent on towards their destination, duplicates included.
        public var forwarded: Int

        /// Datagrams discarded: by ``Configuration/lossRate``, by the black hole, or because
        /// their socket had gone away (after ``rebindUpstream()`` or ``stop()``).
        public var dropped: Int

        /// Extra copies created by ``Configuration/duplicateRate``.
        public var duplicated: Int

        /// Datagrams that were held back and then overtaken by a later one.
        ///
        /// Held-back datagrams released by ``Configuration/reorderDelay`` without being overtaken
        /// are not counted.
        public var reordered: Int

        /// Creates counters, all zero by default.
        ///
        /// - Parameters:
        ///   - received: Datagrams that arrived.
        ///   - forwarded: Datagrams sent on.
        ///   - dropped: Datagrams discarded.
        ///   - duplicated: Extra copies created.
        ///   - reordered: Datagrams delivered after a later one.
        public init(received: Int = 0, forwarded: Int = 0, dropped: Int = 0, duplicated: Int = 0, reordered: Int = 0) {
            self.received = received
            self.forwarded = forwarded
            self.dropped = dropped
            self.duplicated = duplicated
            self.reordered = reordered
        }
    }
}
