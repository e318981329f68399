import QuicFlow
import QuicFlowAgent
import Testing

import QuicFlowTime
import QuicFlowHooks
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Configuration: reading agent.conf")
struct AgentConfigurationTests {
    static let minimal = """
        [server]
        address = "backbone.example.com:9000"
        """

    @Test("a file with only server.address gets every default")
    func defaults() throws {
        let configuration = try AgentConfiguration(toml: Self.minimal)

        var buffer = [CChar](repeating: 0, count: 257)
        #expect(gethostname(&buffer, 256) == 0)
        let hostName = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #expect(configuration.clientID == hostName)
        #expect(configuration.dataDirectory == "/var/lib/quicflow-agent")
        #expect(configuration.outboxPath == "/var/lib/quicflow-agent/outbox.sqlite")

        #expect(configuration.server.address == "backbone.example.com:9000")
        #expect(configuration.server.host == "backbone.example.com")
        #expect(configuration.server.port == 9000)
        #expect(configuration.server.serverName == "backbone.example.com")
        #expect(configuration.server.caFile == nil)
        #expect(configuration.server.certificateFile == nil)
        #expect(configuration.server.keyFile == nil)
        #expect(configuration.server.insecureSkipVerify == false)

        #expect(configuration.reconnect.initialBackoff == .seconds(1))
        #expect(configuration.reconnect.maxBackoff == .seconds(60))
        #expect(configuration.reconnect.jitter == 0.2)

        #expect(configuration.heartbeat.interval == .seconds(15))
        #expect(configuration.heartbeat.timeout == .seconds(5))

        #expect(configuration.outbox.maxMessages == 100_000)
        #expect(configuration.outbox.maxAge == .seconds(7 * 86_400))
        #expect(configuration.outbox.ackTimeout == .seconds(30))
        #expect(configuration.outbox.maxAttempts == 0)
        #expect(configuration.outbox.replayRate == 200)
        #expect(configuration.outbox.inFlight == 16)

        #expect(configuration.handlers.command == nil)
        #expect(configuration.handlers.query == nil)
        #expect(configuration.handlers.event == nil)
        #expect(configuration.commands.isEmpty)
    }

    @Test("empty tables are the same as absent ones")
    func emptyTables() throws {
        let withTables = try AgentConfiguration(
            toml: """
                [agent]
                [server]
                address = "backbone.example.com:9000"
                [reconnect]
                [heartbeat]
                [outbox]
                [handlers]
                [commands]
                """)
        #expect(withTables == (try AgentConfiguration(toml: Self.minimal)))
    }

    @Test("every key is read")
    func everyKey() throws {
        let configuration = try AgentConfiguration(
            toml: """
                [agent]
                client_id = "edge-042"
                data_dir = "/srv/agent/"

                [server]
                address = "[2001:db8::7]:9443"
                server_name = "backbone.internal"
                ca_file = "/etc/quicflow/ca.pem"
                cert_file = "/etc/quicflow/agent.pem"
                key_file = "/etc/quicflow/agent-key.pem"
                insecure_skip_verify = true

                [reconnect]
                initial_backoff = "250ms"
                max_backoff = "2m"
                jitter = 0.5

                [heartbeat]
                interval = "10s"
                timeout = "3s"

                [outbox]
                max_messages = 500
                max_age = "2d"
                ack_timeout = "45s"
                max_attempts = 12
                replay_rate = 2.5
                in_flight = 3

                [handlers.command]
                exec = "/usr/local/lib/quicflow/handlers/command"
                args = ["--mode", "strict"]
                timeout = "1m"
                max_output = "64KiB"
                concurrency = 2
                user = "quicflow"
                env = { LANG = "C.UTF-8", "MY VAR" = "" }

                [handlers.query]
                exec = "/usr/local/lib/quicflow/handlers/query"
                max_output = 4096

                [handlers.event]
                exec = "/usr/local/lib/quicflow/handlers/event"

                [commands.reboot]
                exec = "/usr/local/lib/quicflow/handlers/reboot"
                timeout = "2h"
                concurrency = 1

                [commands."disk usage"]
                exec = "/usr/bin/df"
                args = ["-h"]
                """)
        #expect(configuration.clientID == "edge-042")
        #expect(configuration.dataDirectory == "/srv/agent/")
        #expect(configuration.outboxPath == "/srv/agent/outbox.sqlite")

        #expect(configuration.server.address == "[2001:db8::7]:9443")
        #expect(configuration.server.host == "2001:db8::7")
        #expect(configuration.server.port == 9443)
        #expect(configuration.server.serverName == "backbone.internal")
        #expect(configuration.server.caFile == "/etc/quicflow/ca.pem")
        #expect(configuration.server.certificateFile == "/etc/quicflow/agent.pem")
        #expect(configuration.server.keyFile == "/etc/quicflow/agent-key.pem")
        #expect(configuration.server.insecureSkipVerify)

        #expect(configuration.reconnect.initialBackoff == .milliseconds(250))
        #expect(configuration.reconnect.maxBackoff == .seconds(120))
        #expect(configuration.reconnect.jitter == 0.5)

        #expect(configuration.heartbeat.interval == .seconds(10))
        #expect(configuration.heartbeat.timeout == .seconds(3))

        #expect(configuration.outbox.maxMessages == 500)
        #expect(configuration.outbox.maxAge == .seconds(2 * 86_400))
        #expect(configuration.outbox.ackTimeout == .seconds(45))
        #expect(configuration.outbox.maxAttempts == 12)
        #expect(configuration.outbox.replayRate == 2.5)
        #expect(configuration.outbox.inFlight == 3)

        let command = try #require(configuration.handlers.command)
        #expect(command.executable == "/usr/local/lib/quicflow/handlers/command")
        #expect(command.arguments == ["--mode", "strict"])
        #expect(command.timeout == .seconds(60))
        #expect(command.maxOutput == 65_536)
        #expect(command.concurrency == 2)
        #expect(command.user == "quicflow")
        #expect(command.environment == ["LANG": "C.UTF-8", "MY VAR": ""])

        let query = try #require(configuration.handlers.query)
        #expect(query.executable == "/usr/local/lib/quicflow/handlers/query")
        #expect(query.maxOutput == 4_096)
        #expect(query.arguments == [])
        #expect(query.timeout == .seconds(30))
        #expect(query.concurrency == 4)
        #expect(query.user == nil)
        #expect(query.environment == [:])

        #expect(configuration.handlers.event?.executable == "/usr/local/lib/quicflow/handlers/event")

        #expect(configuration.commands.count == 2)
        let reboot = try #require(configuration.commands["reboot"])
        #expect(reboot.executable == "/usr/local/lib/quicflow/handlers/reboot")
        #expect(reboot.timeout == .seconds(7_200))
        #expect(reboot.concurrency == 1)
        #expect(configuration.commands["disk usage"]?.arguments == ["-h"])
    }

    @Test(
        "server addresses: host, port, IPv6 in brackets, default port 8474",
        arguments: [
            ("backbone.example.com:8474", "backbone.example.com", 8474),
            ("backbone.example.com", "backbone.example.com", 8474),
            ("10.0.0.5:1", "10.0.0.5", 1),
            ("[::1]:8474", "::1", 8474),
            ("[::1]", "::1", 8474),
            ("[fe80::1%eth0]:65535", "fe80::1%eth0", 65535),
        ])
    func addresses(address: String, host: String, port: Int) throws {
        let configuration = try AgentConfiguration(toml: "[server]\naddress = \"\(address)\"")
        #expect(configuration.server.host == host)
        #expect(configuration.server.port == port)
        #expect(configuration.server.serverName == host)
    }

    @Test("integers are accepted for jitter and replay_rate, which are numbers")
    func integerNumbers() throws {
        let configuration = try AgentConfiguration(
            toml: Self.minimal + "\n[reconnect]\njitter = 1\n[outbox]\nreplay_rate = 50\n")
        #expect(configuration.reconnect.jitter == 1)
        #expect(configuration.outbox.replayRate == 50)
    }

    @Test("outboxPath joins data_dir and outbox.sqlite with one slash")
    func outboxPath() throws {
        for (directory, expected) in [
            ("/data", "/data/outbox.sqlite"), ("/data//", "/data/outbox.sqlite"), ("/", "/outbox.sqlite"),
        ] {
            let configuration = try AgentConfiguration(
                toml: "[agent]\ndata_dir = \"\(directory)\"\n" + Self.minimal)
            #expect(configuration.outboxPath == expected)
        }
    }

    @Test("a command names its handler by command_type; otherwise the handler of its type applies")
    func routing() throws {
        let configuration = try AgentConfiguration(
            toml: Self.minimal + """

                [handlers.command]
                exec = "/h/command"
                [handlers.event]
                exec = "/h/event"
                [commands.reboot]
                exec = "/h/reboot"
                """)
        #expect(configuration.handler(for: .command, commandType: "reboot")?.executable == "/h/reboot")
        #expect(configuration.handler(for: .command, commandType: "unknown")?.executable == "/h/command")
        #expect(configuration.handler(for: .command)?.executable == "/h/command")
        #expect(configuration.handler(for: .event, commandType: "reboot")?.executable == "/h/event")
        #expect(configuration.handler(for: .query) == nil)
        #expect(configuration.handler(for: .response) == nil)
        #expect(configuration.handlers.handler(for: .event)?.executable == "/h/event")
    }

    @Test("the client configuration carries the agent's identity, TLS, reconnect and heartbeat settings")
    func clientConfiguration() throws {
        let configuration = try AgentConfiguration(
            toml: """
                [agent]
                client_id = "edge-7"
                [server]
                address = "backbone.example.com"
                insecure_skip_verify = true
                [reconnect]
                initial_backoff = "2s"
                max_backoff = "30s"
                jitter = 0.1
                [heartbeat]
                interval = "20s"
                timeout = "4s"
                [outbox]
                ack_timeout = "12s"
                [handlers.command]
                exec = "/h/command"
                concurrency = 3
                timeout = "10s"
                [commands.reboot]
                exec = "/h/reboot"
                concurrency = 1
                timeout = "2m"
                """)
        let client = try configuration.clientConfiguration()
        #expect(client.clientID == "edge-7")
        #expect(client.caFile == nil)
        #expect(client.insecureSkipVerify)
        #expect(client.certificateFile == nil)
        #expect(client.keyFile == nil)
        #expect(client.reconnectEnabled)
        #expect(client.initialBackoff == .seconds(2))
        #expect(client.maxBackoff == .seconds(30))
        #expect(client.jitter == 0.1)
        #expect(client.heartbeatInterval == .seconds(20))
        #expect(client.heartbeatTimeout == .seconds(4))
        #expect(client.defaultMessageTimeout == .seconds(12))
        // Sized so that the agent's per-handler limits are the ones that bite.
        #expect(client.dispatcherWorkers == 4)
        #expect(client.handlerTimeout == .seconds(125))
    }

    @Test("the client configuration names an unreadable PEM file by its key")
    func clientConfigurationUnreadableFiles() throws {
        let configuration = try AgentConfiguration(
            toml: """
                [server]
                address = "backbone.example.com"
                ca_file = "/nonexistent/ca.pem"
                cert_file = "/nonexistent/agent.pem"
                key_file = "/nonexistent/agent-key.pem"
                """)
        let error = #expect(throws: AgentError.self) { try configuration.clientConfiguration() }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("server.ca_file: \"/nonexistent/ca.pem\" cannot be read") == true)
        #expect(error?.message.contains("server.cert_file: \"/nonexistent/agent.pem\" cannot be read") == true)
        #expect(error?.message.contains("server.key_file: \"/nonexistent/agent-key.pem\" cannot be read") == true)
    }

    @Test("a handler configuration can be made in code, with the same checks")
    func handlerConfigurationInCode() throws {
        let handler = try HandlerConfiguration(executable: "/bin/true")
        #expect(handler.arguments == [])
        #expect(handler.timeout == .seconds(30))
        #expect(handler.maxOutput == 1 << 20)
        #expect(handler.concurrency == 4)
        #expect(handler.user == nil)
        #expect(handler.environment == [:])

        let error = #expect(throws: HookError.self) {
            try HandlerConfiguration(executable: "true", timeout: .zero, maxOutput: 0, concurrency: 0, user: "")
        }
        let lines = error?.message.split(separator: "\n").map(String.init) ?? []
        #expect(lines.count == 6)
        #expect(lines.dropFirst().allSatisfy { line in
            ["exec:", "timeout:", "max_output:", "concurrency:", "user:"].contains { line.contains($0) }
        })
    }
}
