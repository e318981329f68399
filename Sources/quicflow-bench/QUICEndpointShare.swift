import QUICTransport

/// A client QUIC endpoint that several benchmark clients connect from.
struct QUICEndpointShare: Sendable {
    let endpoint: QUICEndpoint
}
