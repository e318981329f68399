import QUICTestSupport
import QuicFlow
import Testing
import QuicFlowTime

@Suite("Configuration")
struct ConfigurationTests {
    @Test("a server configuration with a missing file names the field")
    func missingFile() throws {
        let fixture = try Fixture()
        let error = #expect(throws: QuicFlowError.self) {
            _ = try ServerConfiguration(certificateFile: fixture.directory + "/missing.pem", keyFile: fixture.server.keyFile)
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("certificateFile") == true)
        #expect(error?.message.contains("missing.pem") == true)
    }

    @Test("zero or negative durations and counts are refused, naming the field")
    func badNumbers() throws {
        let fixture = try Fixture()
        let zero = #expect(throws: QuicFlowError.self) {
            _ = try ServerConfiguration(
                certificateFile: fixture.server.certificateFile, keyFile: fixture.server.keyFile, heartbeatInterval: .zero)
        }
        #expect(zero?.message.contains("heartbeatInterval") == true)
        let negative = #expect(throws: QuicFlowError.self) {
            _ = try ServerConfiguration(
                certificateFile: fixture.server.certificateFile, keyFile: fixture.server.keyFile, maxClients: -1)
        }
        #expect(negative?.message.contains("maxClients") == true)
        let backoff = #expect(throws: QuicFlowError.self) {
            _ = try ClientConfiguration(clientID: "d", caFile: fixture.server.caFile, initialBackoff: .seconds(-1))
        }
        #expect(backoff?.message.contains("initialBackoff") == true)
    }

    @Test("an empty or over-long client id is refused")
    func clientID() throws {
        let empty = #expect(throws: QuicFlowError.self) { _ = try ClientConfiguration(clientID: "", insecureSkipVerify: true) }
        #expect(empty?.message.contains("clientID") == true)
        #expect(throws: QuicFlowError.self) {
            _ = try ClientConfiguration(clientID: String(repeating: "x", count: 257), insecureSkipVerify: true)
        }
    }

    @Test("mTLS without a client CA is refused")
    func mtlsNeedsCA() throws {
        let fixture = try Fixture()
        let error = #expect(throws: QuicFlowError.self) {
            _ = try ServerConfiguration(
                certificateFile: fixture.server.certificateFile, keyFile: fixture.server.keyFile,
                requireClientCertificate: true)
        }
        #expect(error?.message.contains("clientCAFile") == true)
    }
}
