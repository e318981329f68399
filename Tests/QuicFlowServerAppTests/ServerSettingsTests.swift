import Foundation
import QuicFlow
import QuicFlowServerApp
import QUICTestSupport
import Testing
import QuicFlowTime

@Suite("Server configuration file")
struct ServerSettingsTests {
    /// The repository's server.conf.example.
    static var examplePath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("server.conf.example").path
    }

    @Test("server.conf.example parses, and its values are the defaults")
    func example() throws {
        let settings = try ServerSettings.load(path: Self.examplePath)
        var defaults = ServerSettings()
        defaults.certificateFile = "/etc/quicflow/pki/server.crt"
        defaults.keyFile = "/etc/quicflow/pki/server.key"
        #expect(settings == defaults)
    }

    @Test("every key is read")
    func keys() throws {
        let settings = try ServerSettings(toml: """
            [server]
            listen = "127.0.0.1:9000"
            cert = "/c"
            key = "/k"
            client_ca = "/ca"
            require_client_cert = true
            max_clients = 5
            data_dir = "/var/x"
            log_level = "debug"
            retry = true
            max_handshakes_per_address = 9
            dedup_window = "90s"
            [heartbeat]
            interval = "2s"
            timeout = "7s"
            [admin]
            listen = "127.0.0.1:9001"
            token_file = "/t"
            [hooks]
            on_message = "/bin/true"
            timeout = "3s"
            [delivery]
            initial_backoff = "250ms"
            max_backoff = "2m"
            """)
        #expect(settings.listen == "127.0.0.1:9000")
        #expect(settings.clientCAFile == "/ca")
        #expect(settings.requireClientCertificate)
        #expect(settings.maxClients == 5)
        #expect(settings.dataDirectory == "/var/x")
        #expect(settings.logLevel == "debug")
        #expect(settings.requireAddressValidation)
        #expect(settings.maxHandshakesPerAddress == 9)
        #expect(settings.deduplicationWindow == .seconds(90))
        #expect(settings.heartbeatInterval == .seconds(2))
        #expect(settings.heartbeatTimeout == .seconds(7))
        #expect(settings.adminListen == "127.0.0.1:9001")
        #expect(settings.adminTokenFile == "/t")
        #expect(settings.onMessage == "/bin/true")
        #expect(settings.hookTimeout == .seconds(3))
        #expect(settings.deliveryInitialBackoff == .milliseconds(250))
        #expect(settings.deliveryMaxBackoff == .seconds(120))
    }

    @Test("every problem of a file is reported at once, by key")
    func problems() throws {
        let error = #expect(throws: ServerAppError.self) {
            try ServerSettings(toml: """
                [server]
                lisen = "x"
                max_clients = 0
                cert = "relative.crt"
                [heartbeat]
                interval = "fast"
                [extra]
                """, path: "server.conf")
        }
        let message = error?.message ?? ""
        #expect(message.hasPrefix("server.conf has 5 problems"))
        #expect(message.contains("server.lisen: unknown key; did you mean listen?"))
        #expect(message.contains("server.max_clients: must be at least 1"))
        #expect(message.contains("server.cert:"))
        #expect(message.contains("heartbeat.interval:"))
        #expect(message.contains("extra: unknown table"))
        let syntax = #expect(throws: ServerAppError.self) { try ServerSettings(toml: "[server\n", path: "s.conf") }
        #expect(syntax?.message.hasPrefix("s.conf line 1") == true)
        let missing = #expect(throws: ServerAppError.self) { try ServerSettings.load(path: "/nonexistent/server.conf") }
        #expect(missing?.message.contains("No such file or directory") == true)
    }

    @Test("the combination is checked: certificate required, timeout longer than interval")
    func validation() throws {
        let noCert = #expect(throws: ServerAppError.self) { try ServerSettings().validated() }
        #expect(noCert?.message.contains("--cert") == true)
        let harness = try ServerHarness()
        var settings = ServerSettings()
        settings.certificateFile = "/etc/hostname"
        settings.keyFile = "/etc/hostname"
        let notPEM = #expect(throws: ServerAppError.self) { try settings.validated() }
        #expect(notPEM?.message.contains("server.cert: loading key '/etc/hostname' with certificate '/etc/hostname'") == true)
        settings.certificateFile = harness.files.certificateFile
        settings.keyFile = harness.files.keyFile
        settings.heartbeatInterval = .seconds(10)
        settings.heartbeatTimeout = .seconds(5)
        let heartbeat = #expect(throws: ServerAppError.self) { try settings.validated() }
        #expect(heartbeat?.message.contains("longer than the interval") == true)
        settings.heartbeatTimeout = .seconds(30)
        settings.deliveryInitialBackoff = .seconds(10)
        settings.deliveryMaxBackoff = .seconds(5)
        let delivery = #expect(throws: ServerAppError.self) { try settings.validated() }
        #expect(delivery?.message.contains("[delivery] max_backoff (5s) must be at least initial_backoff (10s)") == true)
        settings.deliveryMaxBackoff = .seconds(40)
        #expect(try settings.validated().deliveryBackoff == Backoff(initial: .seconds(10), maximum: .seconds(40), jitter: 0.2))
    }

    @Test("the admin token file: a CRLF line end and blanks are trimmed; empty or header-breaking tokens are refused")
    func adminTokenFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func token(_ text: String) throws(ServerAppError) -> String {
            let file = directory + "/token"
            try? text.write(toFile: file, atomically: true, encoding: .utf8)
            return try AdminConfiguration.readToken(file: file)
        }
        #expect(try token("s3cr3t-token\r\n") == "s3cr3t-token")
        #expect(try token("  s3cr3t-token \t\nsecond line") == "s3cr3t-token")
        let empty = #expect(throws: ServerAppError.self) { try token("\r\n") }
        #expect(empty?.message.contains("is empty") == true)
        let spaced = #expect(throws: ServerAppError.self) { try token("two words") }
        #expect(spaced?.message.contains("U+20 at position 4") == true, "\(spaced?.message ?? "")")
        let accented = #expect(throws: ServerAppError.self) { try token("tok\u{E9}n") }
        #expect(accented?.message.contains("U+E9 at position 4") == true)
    }

}
