/// A server's metrics at one moment (PROTOCOL.md's MetricsSnapshot, fields
/// 1 to 27). Latencies are acknowledgement round trips in microseconds;
/// throughput is messages per second over the last 10 seconds.
public struct MetricsSnapshot: Sendable, Hashable {
    /// Clients registered now.
    public var connectedClients: Int64 = 0
    /// Registrations since start.
    public var totalConnections: Int64 = 0
    /// Sessions ended since start.
    public var totalDisconnects: Int64 = 0
    /// Messages handed to QUIC for clients.
    public var messagesSent: Int64 = 0
    /// Messages received from clients.
    public var messagesReceived: Int64 = 0
    /// Sends that failed and messages whose handling failed.
    public var messagesFailed: Int64 = 0
    /// Payload bytes sent.
    public var bytesSent: Int64 = 0
    /// Payload bytes received.
    public var bytesReceived: Int64 = 0
    /// Messages per second (sent + received) over the last 10 seconds.
    public var messageThroughput: Int64 = 0
    /// Mean acknowledgement round trip, µs.
    public var averageLatency: Int64 = 0
    /// Median acknowledgement round trip, µs.
    public var p50Latency: Int64 = 0
    /// 95th percentile acknowledgement round trip, µs.
    public var p95Latency: Int64 = 0
    /// 99th percentile acknowledgement round trip, µs.
    public var p99Latency: Int64 = 0
    /// PONGs sent.
    public var heartbeatsSent: Int64 = 0
    /// PINGs received.
    public var heartbeatsReceived: Int64 = 0
    /// Clients evicted for silence.
    public var heartbeatTimeouts: Int64 = 0
    /// Acknowledgements awaited, in total.
    public var promiseCreated: Int64 = 0
    /// Acknowledgements received.
    public var promiseCompleted: Int64 = 0
    /// Acknowledgements that did not come in time.
    public var promiseTimeouts: Int64 = 0
    /// Acknowledgements awaited now.
    public var promiseActive: Int64 = 0
    /// Broadcasts made.
    public var broadcastsSent: Int64 = 0
    /// Clients reached by broadcasts, in total.
    public var broadcastTargets: Int64 = 0
    /// Messages that could not be encoded (too large).
    public var encodingErrors: Int64 = 0
    /// Frames from clients that broke the protocol.
    public var decodingErrors: Int64 = 0
    /// Streams or connections that failed under a message.
    public var networkErrors: Int64 = 0
    /// Seconds since the server started.
    public var uptimeSeconds: Int64 = 0
    /// When the snapshot was taken, Unix milliseconds.
    public var timestamp: Int64 = 0

    /// An all-zero snapshot.
    public init() {}
}
