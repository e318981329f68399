import QuicFlowPKI
import Testing

@Suite("Fleet certificate authority")
struct FleetCertificateAuthorityTests {
    @Test("a new CA loads back from its PEMs and issues from there")
    func roundTrip() throws {
        let authority = try FleetCertificateAuthority(commonName: "Round Trip CA")
        let loaded = try FleetCertificateAuthority(
            certificatePEM: authority.certificatePEM, privateKeyPEM: authority.privateKeyPEM)
        #expect(loaded.commonName == "Round Trip CA")
        #expect(loaded.certificatePEM == authority.certificatePEM)
        #expect(authority.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let client = try loaded.issueClient(clientID: "device-1")
        let parsed = try FleetCertificate(certificatePEM: client.certificatePEM, privateKeyPEM: client.privateKeyPEM)
        #expect(parsed.commonName == "device-1")
    }

    @Test("a client certificate names its client id and is for client authentication only")
    func clientCertificate() throws {
        let authority = try FleetCertificateAuthority()
        let client = try authority.issueClient(clientID: "device-7")
        let parsed = try FleetCertificate(certificatePEM: client.certificatePEM, privateKeyPEM: client.privateKeyPEM)
        #expect(parsed.commonName == "device-7")
        #expect(parsed.usages == .clientAuth)
        #expect(parsed.dnsNames.isEmpty && parsed.ipAddresses.isEmpty)
        #expect(parsed == client)
    }

    @Test("a server certificate carries its DNS names and IPv4 and IPv6 addresses")
    func serverCertificate() throws {
        let authority = try FleetCertificateAuthority()
        let server = try authority.issueServer(
            commonName: "backbone.example.com", dnsNames: ["backbone.example.com", "localhost"],
            ipAddresses: ["192.0.2.7", "2001:db8::7", "::1"])
        let parsed = try FleetCertificate(certificatePEM: server.certificatePEM, privateKeyPEM: server.privateKeyPEM)
        #expect(parsed.commonName == "backbone.example.com")
        #expect(parsed.dnsNames == ["backbone.example.com", "localhost"])
        #expect(parsed.ipAddresses == ["192.0.2.7", "2001:db8::7", "::1"])
        #expect(parsed.usages == .serverAuth)
    }

    @Test("a key from another CA is refused with an error saying they do not belong together")
    func mismatchedKey() throws {
        let first = try FleetCertificateAuthority()
        let second = try FleetCertificateAuthority()
        let error = #expect(throws: PKIError.self) {
            try FleetCertificateAuthority(certificatePEM: first.certificatePEM, privateKeyPEM: second.privateKeyPEM)
        }
        #expect(error?.code == .keyMismatch)
        #expect(error?.message.contains("does not belong to its certificate") == true)
    }

    @Test("a leaf certificate is not accepted as a CA")
    func leafIsNotAuthority() throws {
        let leaf = try FleetCertificateAuthority().issueClient(clientID: "device-1")
        let error = #expect(throws: PKIError.self) {
            try FleetCertificateAuthority(certificatePEM: leaf.certificatePEM, privateKeyPEM: leaf.privateKeyPEM)
        }
        #expect(error?.code == .notAuthority)
        #expect(error?.message.contains("not a CA certificate") == true)
    }

    @Test("text that is not PEM is refused, naming what was expected")
    func garbage() throws {
        let authority = try FleetCertificateAuthority()
        let certificateError = #expect(throws: PKIError.self) {
            try FleetCertificateAuthority(certificatePEM: "hello", privateKeyPEM: authority.privateKeyPEM)
        }
        #expect(certificateError?.code == .invalidPEM)
        #expect(certificateError?.message.contains("CERTIFICATE") == true)
        let keyError = #expect(throws: PKIError.self) {
            try FleetCertificateAuthority(certificatePEM: authority.certificatePEM, privateKeyPEM: authority.certificatePEM)
        }
        #expect(keyError?.code == .invalidPEM)
        #expect(keyError?.message.contains("P-256") == true)
    }

    @Test("an IP address that is not a literal is refused, naming it", arguments: ["localhost", "300.1.1.1", "::g", ""])
    func invalidIPAddress(literal: String) throws {
        let authority = try FleetCertificateAuthority()
        let error = #expect(throws: PKIError.self) {
            try authority.issueServer(commonName: "server", ipAddresses: ["127.0.0.1", literal])
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("'\(literal)' is not an IPv4 or IPv6 address literal") == true)
    }

    @Test("client ids must be 1 to 256 bytes")
    func clientIDLength() throws {
        let authority = try FleetCertificateAuthority()
        for bad in ["", String(repeating: "x", count: 257), String(repeating: "é", count: 129)] {
            let error = #expect(throws: PKIError.self) { try authority.issueClient(clientID: bad) }
            #expect(error?.code == .invalidClientID)
            #expect(error?.message.contains("1 to 256 bytes") == true)
        }
        let longest = try authority.issueClient(clientID: String(repeating: "x", count: 256))
        #expect(longest.commonName.utf8.count == 256)
    }

    @Test("a server certificate needs a name to be checked against, and validities must be positive")
    func arguments() throws {
        let authority = try FleetCertificateAuthority()
        let nameless = #expect(throws: PKIError.self) { try authority.issueServer(commonName: "server") }
        #expect(nameless?.code == .invalidArgument)
        let instant = #expect(throws: PKIError.self) {
            try authority.issueClient(clientID: "device-1", validity: .zero)
        }
        #expect(instant?.code == .invalidArgument)
        #expect(instant?.message.contains("must be positive") == true)
        let empty = #expect(throws: PKIError.self) { try FleetCertificateAuthority(commonName: "") }
        #expect(empty?.code == .invalidArgument)
    }
}
