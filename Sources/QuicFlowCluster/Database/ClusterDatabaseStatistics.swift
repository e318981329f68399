/// What a node's PostgreSQL calls did, for `/metrics` and the bench.
public struct ClusterDatabaseStatistics: Sendable, Hashable {
    /// Calls made (a transaction counts its statements).
    public var statements = 0
    /// Calls that failed or ran out of time.
    public var errors = 0
    /// Of those, the ones that ran out of time.
    public var timeouts = 0
    /// Sum of the round trips of the calls that answered, in seconds.
    public var latencySum = 0.0
    /// How many calls answered.
    public var latencyCount = 0

    /// Creates empty statistics.
    public init() {}
}
