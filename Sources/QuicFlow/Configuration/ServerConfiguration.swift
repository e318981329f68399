public import QUICTransport

/// Everything a ``BackboneServer`` needs; checked when it is made.
public struct ServerConfiguration: Sendable {
    /// Address to listen on.
    public let host: String
    /// UDP port to listen on (PROTOCOL.md's default is 8474).
    public let port: Int
    /// PEM certificate chain of the server.
    public let certificateFile: String
    /// PEM private key of the server.
    public let keyFile: String
    /// PEM CA that signs client certificates (mTLS).
    public let clientCAFile: String?
    /// Refuse clients without a certificate from ``clientCAFile``; the
    /// certificate's common name must then equal the client id.
    public let requireClientCertificate: Bool
    /// Registered clients allowed at once; more are closed with code 4.
    public let maxClients: Int
    /// How often clients are expected to send a PING.
    public let heartbeatInterval: Duration
    /// A client silent for this long is evicted with code 3.
    public let heartbeatTimeout: Duration
    /// A connection that has not registered after this long is closed with code 1.
    public let registrationTimeout: Duration
    /// Acknowledgements the server may wait for at once.
    public let maxPromises: Int
    /// Crossing this many outstanding promises logs a warning and counts it.
    public let promiseWarnThreshold: Int
    /// How long `send` waits for an ACK when the message has no timeout.
    public let defaultMessageTimeout: Duration
    /// Largest payload accepted or sent, in bytes.
    public let maxMessageSize: Int
    /// Handlers running at once.
    public let dispatcherWorkers: Int
    /// Messages waiting for a worker; past it, senders get FAILURE "busy".
    public let dispatcherQueueSize: Int
    /// A handler running longer yields TIMEOUT and frees its worker.
    public let handlerTimeout: Duration
    /// How long an ACK is remembered to answer a repeated msg_id.
    public let deduplicationWindow: Duration
    /// At most this many ACKs are remembered.
    public let deduplicationCapacity: Int
    /// The id the server uses as sender of its messages.
    public let serverID: String
    /// Answer every new client with a Retry first, so no connection state
    /// exists for an address until the client proves it receives there
    /// (RFC 9000, 8.1): costs one round trip per connect, stops floods
    /// from spoofed addresses.
    public let requireAddressValidation: Bool
    /// Handshakes in progress from one IP address; more Initials are
    /// dropped until one finishes (the client retransmits), so one host
    /// cannot fill the server with half-open connections.
    public let maxHandshakesPerAddress: Int
    /// QUIC settings (windows, idle timeout, stream limits).
    public let transport: QUICSettings

    /// Checks and stores a configuration; a bad value throws a
    /// ``QuicFlowError`` naming its field.
    public init(
        host: String = "0.0.0.0",
        port: Int = 8474,
        certificateFile: String,
        keyFile: String,
        clientCAFile: String? = nil,
        requireClientCertificate: Bool = false,
        maxClients: Int = 10_000,
        heartbeatInterval: Duration = .seconds(15),
        heartbeatTimeout: Duration = .seconds(45),
        registrationTimeout: Duration = .seconds(10),
        maxPromises: Int = 50_000,
        promiseWarnThreshold: Int = 40_000,
        defaultMessageTimeout: Duration = .seconds(30),
        maxMessageSize: Int = 1 << 20,
        dispatcherWorkers: Int = 10,
        dispatcherQueueSize: Int = 1_000,
        handlerTimeout: Duration = .seconds(30),
        deduplicationWindow: Duration = .seconds(600),
        deduplicationCapacity: Int = 100_000,
        serverID: String = "server",
        requireAddressValidation: Bool = false,
        maxHandshakesPerAddress: Int = 64,
        transport: QUICSettings = QUICSettings()
    ) throws(QuicFlowError) {
        if port < 0 || port > 65_535 {
            throw QuicFlowError(.invalidConfiguration, "port must be 0...65535, got \(port)")
        }
        try ConfigurationCheck.readable(certificateFile, "certificateFile")
        try ConfigurationCheck.readable(keyFile, "keyFile")
        try ConfigurationCheck.readable(clientCAFile, "clientCAFile")
        if requireClientCertificate && clientCAFile == nil {
            throw QuicFlowError(.invalidConfiguration, "requireClientCertificate needs clientCAFile, the CA that signs client certificates")
        }
        try ConfigurationCheck.positive(maxClients, "maxClients")
        try ConfigurationCheck.positive(heartbeatInterval, "heartbeatInterval")
        try ConfigurationCheck.positive(heartbeatTimeout, "heartbeatTimeout")
        try ConfigurationCheck.positive(registrationTimeout, "registrationTimeout")
        try ConfigurationCheck.positive(maxPromises, "maxPromises")
        try ConfigurationCheck.positive(promiseWarnThreshold, "promiseWarnThreshold")
        try ConfigurationCheck.positive(defaultMessageTimeout, "defaultMessageTimeout")
        try ConfigurationCheck.positive(maxMessageSize, "maxMessageSize")
        try ConfigurationCheck.positive(dispatcherWorkers, "dispatcherWorkers")
        try ConfigurationCheck.positive(dispatcherQueueSize, "dispatcherQueueSize")
        try ConfigurationCheck.positive(handlerTimeout, "handlerTimeout")
        try ConfigurationCheck.positive(deduplicationWindow, "deduplicationWindow")
        try ConfigurationCheck.positive(deduplicationCapacity, "deduplicationCapacity")
        try ConfigurationCheck.positive(maxHandshakesPerAddress, "maxHandshakesPerAddress")
        if serverID.isEmpty {
            throw QuicFlowError(.invalidConfiguration, "serverID must not be empty")
        }
        self.host = host
        self.port = port
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.clientCAFile = clientCAFile
        self.requireClientCertificate = requireClientCertificate
        self.maxClients = maxClients
        self.heartbeatInterval = heartbeatInterval
        self.heartbeatTimeout = heartbeatTimeout
        self.registrationTimeout = registrationTimeout
        self.maxPromises = maxPromises
        self.promiseWarnThreshold = promiseWarnThreshold
        self.defaultMessageTimeout = defaultMessageTimeout
        self.maxMessageSize = maxMessageSize
        self.dispatcherWorkers = dispatcherWorkers
        self.dispatcherQueueSize = dispatcherQueueSize
        self.handlerTimeout = handlerTimeout
        self.deduplicationWindow = deduplicationWindow
        self.deduplicationCapacity = deduplicationCapacity
        self.serverID = serverID
        self.requireAddressValidation = requireAddressValidation
        self.maxHandshakesPerAddress = maxHandshakesPerAddress
        self.transport = transport
    }

    var endpointConfiguration: QUICEndpointConfiguration {
        var tls = QUICTLSConfiguration.server(
            certificateChainFile: certificateFile, privateKeyFile: keyFile, applicationProtocols: [WireConstants.alpn])
        if let clientCAFile {
            tls.trustRoots = .file(clientCAFile)
            tls.requireClientCertificate = requireClientCertificate
        }
        var endpoint = QUICEndpointConfiguration(tls: tls, settings: transport)
        endpoint.requireAddressValidation = requireAddressValidation
        endpoint.maxHandshakesPerAddress = maxHandshakesPerAddress
        return endpoint
    }
}
