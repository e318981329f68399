/// Transport settings shared by clients and servers.
public struct QUICSettings: Sendable, Hashable {
    /// Close the connection after this long without any packet from the peer.
    public var idleTimeout: Duration = .seconds(30)
    /// Send a PING after this long without sending, keeping NAT bindings and
    /// the idle timer alive; `nil` disables keep-alives.
    public var keepAliveInterval: Duration? = nil
    /// Give up on a handshake that has not completed after this long.
    public var handshakeTimeout: Duration = .seconds(10)
    /// Initial receive window of each stream, in bytes.
    public var initialStreamWindow: Int = 256 * 1024
    /// Largest the stream window may grow to by auto-tuning, in bytes. This
    /// bounds what a peer can make us buffer for a stream nobody reads.
    public var maxStreamWindow: Int = 4 * 1024 * 1024
    /// Initial receive window of the whole connection, in bytes.
    public var initialConnectionWindow: Int = 1024 * 1024
    /// Largest the connection window may grow to, in bytes.
    public var maxConnectionWindow: Int = 16 * 1024 * 1024
    /// How many bidirectional streams the peer may have open at once.
    public var maxConcurrentBidirectionalStreams: Int = 1_000
    /// A `write` returns once at most this many of its bytes are still
    /// waiting to be handed to the congestion controller; it bounds the
    /// unsent bytes buffered per stream.
    public var writeBufferLowWatermark: Int = 64 * 1024

    /// The defaults.
    public init() {}

    func validate() throws(QUICError) {
        func positive(_ value: Duration, _ name: String) throws(QUICError) {
            if value <= .zero {
                throw QUICError(.invalidConfiguration, "\(name) must be positive, got \(value)")
            }
        }
        try positive(idleTimeout, "idleTimeout")
        try positive(handshakeTimeout, "handshakeTimeout")
        if let keepAliveInterval { try positive(keepAliveInterval, "keepAliveInterval") }
        if initialStreamWindow <= 0 || maxStreamWindow < initialStreamWindow {
            throw QUICError(
                .invalidConfiguration,
                "initialStreamWindow (\(initialStreamWindow)) must be positive and at most maxStreamWindow (\(maxStreamWindow))"
            )
        }
        if initialConnectionWindow <= 0 || maxConnectionWindow < initialConnectionWindow {
            throw QUICError(
                .invalidConfiguration,
                "initialConnectionWindow (\(initialConnectionWindow)) must be positive and at most maxConnectionWindow (\(maxConnectionWindow))"
            )
        }
        if maxConcurrentBidirectionalStreams < 1 {
            throw QUICError(.invalidConfiguration, "maxConcurrentBidirectionalStreams must be at least 1")
        }
        if writeBufferLowWatermark < 0 {
            throw QUICError(.invalidConfiguration, "writeBufferLowWatermark must not be negative")
        }
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating at `UInt64.max`.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        let (ns, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        return ns &+ UInt64(attoseconds / 1_000_000_000)
    }
}
