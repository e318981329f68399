import Foundation
import Logging
import NIOCore
import QUICTestSupport
import QuicFlow
@testable import QuicFlowServerApp
import ServiceLifecycle
import Testing

@Suite("Admin HTTP API")
struct AdminAPITests {
    @Test("token, client list, unicast with result, errors as status codes, broadcast, metrics, healthz")
    func endToEnd() async throws {
        let directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "admin-api")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let authority = try TestCertificateAuthority()
        let files = try authority.writeFiles(
            for: try authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"]),
            in: directory, name: "server")
        let app = try ServerApp(ServerAppConfiguration(
            backbone: try ServerConfiguration(
                host: "127.0.0.1", port: 0, certificateFile: files.certificateFile, keyFile: files.keyFile),
            admin: try AdminConfiguration(host: "127.0.0.1", port: 0, token: "s3cret-token")))
        await app.prepare()
        let group = ServiceGroup(configuration: .init(services: app.services(), logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        let adminPort = try #require(await app.adminListeningAddress()?.port)
        let quicPort = try #require(await app.backboneListeningAddress()?.port)

        let device = BackboneClient(configuration: try ClientConfiguration(clientID: "device-7", caFile: files.caFile))
        await device.register(for: .command) { message in
            if message.text == "slow" { try await Task.sleep(for: .seconds(3)) }
            if message.text == "fail" { return .failure("cannot do that") }
            return .success(text: "ran " + message.text)
        }
        try await device.connect(host: "127.0.0.1", port: quicPort, serverName: "localhost")

        let open = AdminHTTP(base: "http://127.0.0.1:\(adminPort)")
        let api = AdminHTTP(base: "http://127.0.0.1:\(adminPort)", token: "s3cret-token")
        let wrong = AdminHTTP(base: "http://127.0.0.1:\(adminPort)", token: "s3cret-tokem")

        #expect(try await open.request("GET", "/healthz").status == 200)
        #expect(try await open.request("GET", "/v1/clients").status == 401)
        #expect(try await wrong.request("GET", "/v1/clients").status == 401)
        #expect(try await open.request("GET", "/metrics").status == 401)

        let clients = try await api.request("GET", "/v1/clients")
        #expect(clients.status == 200)
        let list = try JSONSerialization.jsonObject(with: clients.body) as? [[String: Any]]
        #expect(list?.map { $0["client_id"] as? String } == ["device-7"])
        #expect((list?.first?["remote_address"] as? String)?.hasPrefix("127.0.0.1:") == true)
        #expect(try await api.request("GET", "/v1/clients/device-7").json()["client_id"] as? String == "device-7")
        #expect(try await api.request("GET", "/v1/clients/nobody").status == 404)

        let sent = try await api.request("POST", "/v1/clients/device-7/messages", body: #"{"type": "command", "payload": "reboot", "wait_ack": true, "timeout_ms": 5000}"#)
        #expect(sent.status == 200, "\(sent.text)")
        let answer = try sent.json()
        #expect(answer["status"] as? String == "success")
        #expect(answer["result"] as? String == "ran reboot")
        #expect(answer["result_base64"] as? String == Data("ran reboot".utf8).base64EncodedString())
        #expect((answer["msg_id"] as? String)?.count == 32)
        #expect((answer["latency_ms"] as? Double ?? -1) >= 0)

        let base64 = try await api.request("POST", "/v1/clients/device-7/messages", body: #"{"type": "command", "payload_base64": "\#(Data("fail".utf8).base64EncodedString())"}"#)
        #expect(try base64.json()["status"] as? String == "failure")
        #expect(try base64.json()["error"] as? String == "cannot do that")

        let timedOut = try await api.request("POST", "/v1/clients/device-7/messages", body: #"{"type": "command", "payload": "slow", "timeout_ms": 200}"#)
        #expect(try timedOut.json()["status"] as? String == "timeout")

        #expect(try await api.request("POST", "/v1/clients/nobody/messages", body: #"{"type": "command", "payload": "x"}"#).status == 404)
        for bad in ["not json", #"{"payload": "x"}"#, #"{"type": "telegram"}"#, #"{"type": "command", "payload": "a", "payload_base64": "YQ=="}"#, #"{"type": "command", "timeout_ms": -1}"#] {
            let reply = try await api.request("POST", "/v1/clients/device-7/messages", body: bad)
            #expect(reply.status == 400, "\(bad): \(reply.text)")
            #expect(!reply.text.isEmpty)
        }

        // Over the body limit (2 MiB): 413 in words, like a payload over the message limit.
        for size in [1_500_000, 2 << 20] {
            let big = try await api.request(
                "POST", "/v1/clients/device-7/messages", body: #"{"type": "event", "payload": "\#(String(repeating: "x", count: size))"}"#)
            #expect(big.status == 413, "\(size) bytes: \(big.text.prefix(200))")
            #expect(!big.text.contains("NIOTooManyBytesError"), "\(big.text.prefix(200))")
        }
        let tooBig = try await api.request(
            "POST", "/v1/clients/device-7/messages", body: #"{"type": "event", "payload": "\#(String(repeating: "x", count: 2 << 20))"}"#)
        #expect(tooBig.text.contains("over 2 MiB, the admin API's limit; a message's payload may be at most 1MiB"), "\(tooBig.text)")

        let broadcast = try await api.request("POST", "/v1/broadcast", body: #"{"type": "event", "payload": "hello all"}"#)
        #expect(try broadcast.json()["reached"] as? Int == 1)

        let metrics = try await api.request("GET", "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("quicflow_"))

        await device.disconnect()
        await group.triggerGracefulShutdown()
        try await running.value
    }

    @Test("an admin listener reachable from other machines needs a token")
    func tokenRequired() throws {
        let error = #expect(throws: ServerAppError.self) { try AdminConfiguration(host: "0.0.0.0", port: 8475) }
        #expect(error?.message.contains("--admin-token-file") == true)
        #expect(throws: Never.self) { try AdminConfiguration(host: "0.0.0.0", port: 8475, token: "t") }
        #expect(throws: Never.self) { try AdminConfiguration(host: "127.0.0.1", port: 8475) }
    }
}

@Suite("Admin token comparison")
struct AdminTokenComparisonTests {
    @Test("equal only for the same bytes and length; lengths 256 apart (token + 256 NUL bytes) are not equal")
    func constantTimeEqual() {
        let token = Array("s3cret-token".utf8)
        #expect(ConstantTime.equal(token, token))
        #expect(!ConstantTime.equal(token, Array("s3cret-tokeN".utf8)))
        #expect(!ConstantTime.equal(token, Array("s3cret".utf8)))
        #expect(!ConstantTime.equal(token, []))
        // Folding the length difference into a byte once let this through.
        #expect(!ConstantTime.equal(token + [UInt8](repeating: 0, count: 256), token))
        #expect(!ConstantTime.equal([UInt8](repeating: 0, count: 256), []))
    }
}

@Suite("Server data files")
struct ServerDataFileTests {
    @Test("the data directory is 0700 and messages.sqlite with its -wal and -shm is 0600")
    func privateModes() async throws {
        let harness = try ServerHarness()
        let running = try await harness.start(persistent: true)
        func mode(_ path: String) throws -> Int {
            ((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int ?? -1) & 0o777
        }
        #expect(try mode(harness.dataDirectory) == 0o700)
        for file in ["messages.sqlite", "messages.sqlite-wal", "messages.sqlite-shm"] {
            let path = harness.dataDirectory + "/" + file
            if FileManager.default.fileExists(atPath: path) || file == "messages.sqlite" {
                #expect(try mode(path) == 0o600, "\(file)")
            }
        }
        try await running.stop()
    }
}
