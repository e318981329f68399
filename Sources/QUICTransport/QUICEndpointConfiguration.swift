/// How an endpoint runs: its TLS role and transport settings.
public struct QUICEndpointConfiguration: Sendable, Hashable {
    /// TLS settings; a server needs a certificate chain and key.
    public var tls: QUICTLSConfiguration
    /// Transport settings for every connection on the endpoint.
    public var settings: QUICSettings
    /// Server only: validate client addresses with a Retry round trip before
    /// creating any connection state (RFC 9000, section 8.1).
    public var requireAddressValidation: Bool = false
    /// Server only: handshakes in progress from one IP address. Initials
    /// that would start more are dropped (counted in
    /// ``QUICEndpointStatistics/handshakesRefused``); the peer's own
    /// retransmission tries again once a slot frees. Bounds the state one
    /// host can pin with half-open connections, while a NAT in front of many
    /// devices still gets through, a slot at a time.
    public var maxHandshakesPerAddress: Int = 64
    /// Secret for stateless reset tokens and Retry tokens. Give the same
    /// 32 or more bytes to a restarted server so that it can reset the
    /// connections its previous run left behind; `nil` picks a random one.
    public var statelessSecret: [UInt8]? = nil
    /// Emit ngtcp2's internal log lines through this endpoint's logger at
    /// trace level.
    public var debugLogging: Bool = false

    /// Creates a configuration.
    public init(tls: QUICTLSConfiguration, settings: QUICSettings = QUICSettings()) {
        self.tls = tls
        self.settings = settings
    }
}
