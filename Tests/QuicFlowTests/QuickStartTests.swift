import NIOCore
import QUICTestSupport
import QuicFlow
import Testing

// The README's quick start, compiled and run: keep the two in step.
@Suite("Quick start")
struct QuickStartTests {
    @Test("the README's server and client work as shown")
    func quickStart() async throws {
        let pki = try Fixture()
        let (certificate, key, ca) = (pki.server.certificateFile, pki.server.keyFile, pki.server.caFile)

        // --- server (README) ---
        let server = BackboneServer(configuration: try ServerConfiguration(
            host: "127.0.0.1", port: 0, certificateFile: certificate, keyFile: key))
        await server.register(for: .event) { message in
            print("event from \(message.senderID): \(message.text)")
            return .success()
        }
        try await server.start()

        // --- client (README) ---
        let client = BackboneClient(configuration: try ClientConfiguration(clientID: "device-7", caFile: ca))
        await client.register(for: .command) { message in
            .success(text: "ran \(message.text)")
        }
        try await client.connect(host: "127.0.0.1", port: await server.localAddress!.port!, serverName: "localhost")
        let ack = try await client.send(Message(type: .event, text: "booted", waitAck: true))

        // --- server sends a command and waits for the result ---
        let response = try await server.send(Message(type: .command, text: "reboot", waitAck: true), to: "device-7")

        #expect(ack.status == .success)
        #expect(response.text == "ran reboot")
        #expect(await server.clients().map(\.clientID) == ["device-7"])
        await client.disconnect()
        await server.stop()
    }
}
