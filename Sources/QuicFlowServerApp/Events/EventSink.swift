/// Where the server's parts publish what happens (connects, messages,
/// deliveries, expiries). ``EventHub`` in one process; in a cluster, an
/// implementation that also carries events to the other nodes.
///
/// Contract (`EventStreamContractTests`): every published event reaches
/// every listener subscribed before it, in publication order, with an id
/// greater than the previous event's.
protocol EventSink: Sendable {
    /// Publishes `event` to every listener; never blocks on a slow one.
    func publish(_ event: ServerEvent)
}
