public import QUICTransport
public import QuicFlowTime

/// Everything a ``BackboneClient`` needs; checked when it is made.
public struct ClientConfiguration: Sendable {
    /// This client's id, sent in every PING (1 to 256 bytes).
    public let clientID: String
    /// PEM CA that signs the server's certificate; `nil` uses the system store.
    public let caFile: String?
    /// Accept any server certificate. Development only: it is logged at
    /// every connect.
    public let insecureSkipVerify: Bool
    /// PEM client certificate for mTLS.
    public let certificateFile: String?
    /// PEM key of ``certificateFile``.
    public let keyFile: String?
    /// Reconnect automatically when the connection drops.
    public let reconnectEnabled: Bool
    /// First reconnect delay; it doubles each attempt.
    public let initialBackoff: Duration
    /// Longest reconnect delay.
    public let maxBackoff: Duration
    /// Random spread of each delay, as a fraction (0.2 = ±20%).
    public let jitter: Double
    /// ``initialBackoff``, ``maxBackoff`` and ``jitter`` as the backoff reconnects wait through.
    public var backoff: Backoff { Backoff(initial: initialBackoff, maximum: maxBackoff, jitter: jitter) }
    /// How often to send a PING.
    public let heartbeatInterval: Duration
    /// A PING without PONG within this long counts as a lost connection.
    public let heartbeatTimeout: Duration
    /// How long `send` waits for an ACK when the message has no timeout.
    public let defaultMessageTimeout: Duration
    /// Largest payload accepted or sent, in bytes.
    public let maxMessageSize: Int
    /// Handlers running at once.
    public let dispatcherWorkers: Int
    /// Messages waiting for a worker; past it, senders get FAILURE "busy".
    public let dispatcherQueueSize: Int
    /// A handler running longer yields TIMEOUT.
    public let handlerTimeout: Duration
    /// QUIC settings.
    public let transport: QUICSettings

    /// Checks and stores a configuration; a bad value throws a
    /// ``QuicFlowError`` naming its field.
    public init(
        clientID: String,
        caFile: String? = nil,
        insecureSkipVerify: Bool = false,
        certificateFile: String? = nil,
        keyFile: String? = nil,
        reconnectEnabled: Bool = true,
        initialBackoff: Duration = .seconds(1),
        maxBackoff: Duration = .seconds(60),
        jitter: Double = 0.2,
        heartbeatInterval: Duration = .seconds(15),
        heartbeatTimeout: Duration = .seconds(5),
        defaultMessageTimeout: Duration = .seconds(30),
        maxMessageSize: Int = 1 << 20,
        dispatcherWorkers: Int = 4,
        dispatcherQueueSize: Int = 1_000,
        handlerTimeout: Duration = .seconds(30),
        transport: QUICSettings = QUICSettings()
    ) throws(QuicFlowError) {
        if clientID.isEmpty {
            throw QuicFlowError(.invalidConfiguration, "clientID must not be empty")
        }
        if clientID.utf8.count > WireConstants.maxClientIDLength {
            throw QuicFlowError(.invalidConfiguration, "clientID is \(clientID.utf8.count) bytes; at most \(WireConstants.maxClientIDLength) are allowed")
        }
        try ConfigurationCheck.readable(caFile, "caFile")
        try ConfigurationCheck.readable(certificateFile, "certificateFile")
        try ConfigurationCheck.readable(keyFile, "keyFile")
        if (certificateFile == nil) != (keyFile == nil) {
            throw QuicFlowError(.invalidConfiguration, "certificateFile and keyFile must be given together")
        }
        try ConfigurationCheck.positive(initialBackoff, "initialBackoff")
        try ConfigurationCheck.positive(maxBackoff, "maxBackoff")
        if maxBackoff < initialBackoff {
            throw QuicFlowError(.invalidConfiguration, "maxBackoff (\(maxBackoff)) must not be below initialBackoff (\(initialBackoff))")
        }
        if !(0...1).contains(jitter) {
            throw QuicFlowError(.invalidConfiguration, "jitter must be within 0...1, got \(jitter)")
        }
        try ConfigurationCheck.positive(heartbeatInterval, "heartbeatInterval")
        try ConfigurationCheck.positive(heartbeatTimeout, "heartbeatTimeout")
        try ConfigurationCheck.positive(defaultMessageTimeout, "defaultMessageTimeout")
        try ConfigurationCheck.positive(maxMessageSize, "maxMessageSize")
        try ConfigurationCheck.positive(dispatcherWorkers, "dispatcherWorkers")
        try ConfigurationCheck.positive(dispatcherQueueSize, "dispatcherQueueSize")
        try ConfigurationCheck.positive(handlerTimeout, "handlerTimeout")
        self.clientID = clientID
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.reconnectEnabled = reconnectEnabled
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.jitter = jitter
        self.heartbeatInterval = heartbeatInterval
        self.heartbeatTimeout = heartbeatTimeout
        self.defaultMessageTimeout = defaultMessageTimeout
        self.maxMessageSize = maxMessageSize
        self.dispatcherWorkers = dispatcherWorkers
        self.dispatcherQueueSize = dispatcherQueueSize
        self.handlerTimeout = handlerTimeout
        self.transport = transport
    }

    /// The QUIC endpoint settings this configuration makes (trust roots,
    /// client certificate, ALPN, transport); use them for an endpoint shared
    /// between clients (``BackboneClient/init(configuration:logger:endpoint:)``).
    public var endpointConfiguration: QUICEndpointConfiguration {
        var tls = QUICTLSConfiguration.client(
            trustRoots: caFile.map { .file($0) } ?? .system, applicationProtocols: [WireConstants.alpn])
        tls.insecureSkipVerify = insecureSkipVerify
        tls.certificateChainFile = certificateFile
        tls.privateKeyFile = keyFile
        return QUICEndpointConfiguration(tls: tls, settings: transport)
    }
}
