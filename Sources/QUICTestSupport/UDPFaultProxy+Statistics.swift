extension UDPFaultProxy {
    /// A snapshot of a ``UDPFaultProxy``'s counters, so tests can check that faults really happened.
    public struct Statistics: Sendable, Hashable {
        /// Counters for datagrams from clients to the upstream server.
        public var clientToServer: DirectionStatistics

        /// Counters for datagrams from the upstream server back to clients.
        public var serverToClient: DirectionStatistics

        /// How many upstream-facing sockets the proxy has bound: one per client, plus one per
        /// client for each ``rebindUpstream()``.
        public var upstreamSocketsOpened: Int

        /// Creates a snapshot.
        ///
        /// - Parameters:
        ///   - clientToServer: Counters for the client-to-server direction.
        ///   - serverToClient: Counters for the server-to-client direction.
        ///   - upstreamSocketsOpened: How many upstream-facing sockets were bound.
        public init(
            clientToServer: DirectionStatistics = DirectionStatistics(),
            serverToClient: DirectionStatistics = DirectionStatistics(),
            upstreamSocketsOpened: Int = 0
        ) {
            self.clientToServer = clientToServer
            self.serverToClient = serverToClient
            self.upstreamSocketsOpened = upstreamSocketsOpened
        }

        /// Datagrams sent on in both directions, duplicates included.
        public var forwarded: Int { self.clientToServer.forwarded + self.serverToClient.forwarded }

        /// Datagrams discarded in both directions.
        public var dropped: Int { self.clientToServer.dropped + self.serverToClient.dropped }

        /// Extra copies created in both directions.
        public var duplicated: Int { self.clientToServer.duplicated + self.serverToClient.duplicated }

        /// Datagrams overtaken by a later one, in both directions.
        public var reordered: Int { self.clientToServer.reordered + self.serverToClient.reordered }
    }
}
