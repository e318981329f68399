import Testing

@Suite("Fleet certificates")
struct FleetCertificatesPlaceholderTests {}
