/// A snapshot of one connection's transport state.
public struct QUICConnectionStatistics: Sendable, Hashable {
    /// Smoothed round-trip time.
    public var smoothedRTT: Duration
    /// Lowest round-trip time seen.
    public var minRTT: Duration
    /// Most recent round-trip sample.
    public var latestRTT: Duration
    /// Congestion window in bytes.
    public var congestionWindow: Int
    /// Bytes sent and not yet acknowledged or declared lost.
    public var bytesInFlight: Int
    /// Streams this connection still tracks.
    public var openStreams: Int
}
