import Foundation
import QUICTestSupport
import QuicFlowAgent
import Testing

extension AgentExecutableTests {
    @Suite("quicflow-agent: settings no retry can fix", .timeLimit(.minutes(1)))
    struct AgentUnfixableSettingsTests {
        @Test("a client certificate that does not match its key stops run with exit 78 at once, saying so, instead of retrying forever")
        func certificateKeyMismatch() async throws {
            let fixture = try AgentCLIFixture()
            defer { fixture.remove() }
            let authority = try TestCertificateAuthority()
            let one = try authority.writeFiles(for: try authority.issue(commonName: "cli-agent"), in: fixture.directory, name: "one")
            let other = try authority.writeFiles(for: try authority.issue(commonName: "cli-agent"), in: fixture.directory, name: "other")
            try fixture.writeConfig(port: TestPorts.restartable(), extra: "")
            // cert_file and key_file of two different certificates.
            var text = try String(contentsOfFile: fixture.configPath, encoding: .utf8)
            text = text.replacingOccurrences(
                of: "[reconnect]", with: "cert_file = \"\(one.certificateFile)\"\nkey_file = \"\(other.keyFile)\"\n[reconnect]")
            try text.write(toFile: fixture.configPath, atomically: true, encoding: .utf8)

            let agent = try fixture.startAgent()
            #expect(await agent.exited() == .exited(78), "\(agent.log)")
            #expect(agent.log.contains("server.cert_file: loading key"), "\(agent.log)")
            #expect(agent.log.contains("The certificate and the given key do not match"), "\(agent.log)")
            #expect(!agent.log.contains("retry_in"), "no retry for a setting: \(agent.log)")
        }
    }
}
