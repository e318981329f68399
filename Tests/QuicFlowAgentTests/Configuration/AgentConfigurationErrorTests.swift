import QuicFlowAgent
import Testing

@Suite("Configuration: errors in agent.conf")
struct AgentConfigurationErrorTests {
    static let server = "[server]\naddress = \"backbone.example.com:8474\"\n"

    /// The problem lines of the error `toml` raises (the heading dropped).
    static func problems(_ toml: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        let error = #expect(throws: AgentError.self, sourceLocation: sourceLocation) {
            try AgentConfiguration(toml: toml, path: "agent.conf")
        }
        guard let error else { return [] }
        #expect(error.code == .invalidConfiguration, sourceLocation: sourceLocation)
        let lines = error.message.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("agent.conf has ") == true, sourceLocation: sourceLocation)
        return lines.dropFirst().map { String($0.drop(while: { $0 == " " })) }
    }

    @Test("a TOML syntax error names the file, line and column")
    func syntaxError() {
        let toml = """
            [server]
            address = "backbone.example.com:8474"

            [outbox]
            max_messages = = 5
            """
        let error = #expect(throws: AgentError.self) { try AgentConfiguration(toml: toml, path: "agent.conf") }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.hasPrefix("agent.conf line 5, column ") == true)
        #expect(error?.message.split(separator: "\n").count == 1)

        let unterminated = #expect(throws: AgentError.self) {
            try AgentConfiguration(toml: "[server]\naddress = \"backbone\n")
        }
        #expect(unterminated?.message.hasPrefix("line 2, column ") == true)

        let duplicate = #expect(throws: AgentError.self) {
            try AgentConfiguration(toml: Self.server + "address = \"other:1\"\n", path: "/etc/quicflow/agent.conf")
        }
        #expect(duplicate?.message.hasPrefix("/etc/quicflow/agent.conf line 3, column ") == true)
    }

    @Test("a NUL byte is refused with its line rather than cutting the file short")
    func nulByte() {
        let error = #expect(throws: AgentError.self) {
            try AgentConfiguration(toml: Self.server + "\0[outbox]\n", path: "agent.conf")
        }
        #expect(error?.message.hasPrefix("agent.conf line 3: contains a NUL byte") == true)
    }

    @Test(
        "each kind of problem names the key with its table",
        arguments: [
            // Unknown keys and tables; a near miss gets a suggestion.
            (server + "[agent]\nclinet_id = \"x\"", "agent.clinet_id: unknown key; did you mean client_id?"),
            (server + "[agent]\ncolour = \"x\"", "agent.colour: unknown key; the known keys here are client_id, data_dir, handler_queue"),
            (server + "[servre]\naddress = \"x\"", "servre: unknown table; did you mean server?"),
            ("address = \"x\"\n" + server, "address: unknown table; the known tables here are agent, commands, handlers, heartbeat, outbox, reconnect, server"),
            (server + "[outbox]\nmax_mesages = 5", "outbox.max_mesages: unknown key; did you mean max_messages?"),
            (server + "[server.tls]\nca = \"x\"", "server.tls: unknown key; the known keys here are address, ca_file, cert_file, insecure_skip_verify, key_file, server_name"),
            (server + "[handlers.respond]\nexec = \"/x\"", "handlers.respond: unknown table; the known tables here are command, event, query"),
            (server + "[handlers.comand]\nexec = \"/x\"", "handlers.comand: unknown table; did you mean command?"),
            (server + "[handlers.command]\nexec = \"/x\"\nconcurency = 2", "handlers.command.concurency: unknown key; did you mean concurrency?"),
            (server + "[commands.\"a b\"]\nexec = \"/x\"\nargv = []", "commands.\"a b\".argv: unknown key; did you mean args?"),

            // Wrong types name the expected type.
            (server + "[outbox]\nmax_messages = \"100\"", "outbox.max_messages: expected an integer, got string \"100\""),
            (server + "[outbox]\nmax_messages = 1.5", "outbox.max_messages: expected an integer, got floating-point number 1.5"),
            (server + "[heartbeat]\ninterval = 15", "heartbeat.interval: expected a duration string such as \"15s\", got integer 15"),
            (server + "[outbox]\nmax_age = 7", "outbox.max_age: expected a duration string such as \"7d\", got integer 7"),
            ("[server]\naddress = \"x\"\ninsecure_skip_verify = \"yes\"", "server.insecure_skip_verify: expected true or false, got string \"yes\""),
            ("[server]\naddress = 8474", "server.address: expected a string or an array of strings, got integer 8474"),
            (server + "[reconnect]\njitter = \"20%\"", "reconnect.jitter: expected a number, got string \"20%\""),
            (server + "[agent]\nclient_id = [\"a\"]", "agent.client_id: expected a string, got an array"),
            ("agent = \"edge\"\n" + server, "agent: expected a table, got string \"edge\""),
            (server + "[[commands]]\nexec = \"/x\"", "commands: expected a table, got an array"),
            (server + "[commands]\nreboot = \"/x\"", "commands.reboot: expected a table, got string \"/x\""),
            (server + "[handlers]\ncommand = true", "handlers.command: expected a table, got boolean true"),
            (server + "[handlers.command]\nexec = \"/x\"\nargs = \"-v\"", "handlers.command.args: expected an array of strings, got string \"-v\""),
            (server + "[handlers.command]\nexec = \"/x\"\nargs = [\"-v\", 2]", "handlers.command.args[1]: expected a string, got integer 2"),
            (server + "[handlers.command]\nexec = \"/x\"\nenv = { DEBUG = 1 }", "handlers.command.env.DEBUG: expected a string, got integer 1"),
            (server + "[handlers.command]\nexec = \"/x\"\nenv = \"A=1\"", "handlers.command.env: expected a table, got string \"A=1\""),
            (server + "[handlers.command]\nexec = \"/x\"\nenv = { \"A=B\" = \"1\" }", "handlers.command.env.\"A=B\": is not a valid environment variable name"),
            (server + "[handlers.command]\nexec = \"/x\"\nmax_output = true", "handlers.command.max_output: expected a size such as \"1MiB\" or a number of bytes, got boolean true"),
            (server + "[outbox]\nmax_age = 1979-05-27", "outbox.max_age: expected a duration string such as \"7d\", got date 1979-05-27"),

            // Bad durations and sizes say what was given and what is accepted.
            (server + "[outbox]\nmax_age = \"7 days\"", "outbox.max_age: \"7 days\" is not a duration; use forms like 500ms, 15s, 5m, 2h, 7d"),
            (server + "[reconnect]\ninitial_backoff = \"1.5s\"", "reconnect.initial_backoff: \"1.5s\" is not a duration; use forms like 500ms, 15s, 5m, 2h, 7d"),
            (server + "[handlers.query]\nexec = \"/x\"\ntimeout = \"1h30m\"", "handlers.query.timeout: \"1h30m\" is not a duration; use forms like 500ms, 15s, 5m, 2h, 7d"),
            (server + "[handlers.command]\nexec = \"/x\"\nmax_output = \"1MB\"", "handlers.command.max_output: \"1MB\" is not a size; use forms like 512B, 64KiB, 1MiB, 2GiB or a plain number of bytes"),
            (server + "[commands.dump]\nexec = \"/x\"\nmax_output = \"lots\"", "commands.dump.max_output: \"lots\" is not a size; use forms like 512B, 64KiB, 1MiB, 2GiB or a plain number of bytes"),

            // Out-of-range numbers.
            (server + "[outbox]\nmax_messages = 0", "outbox.max_messages: must be at least 1, got 0"),
            (server + "[outbox]\nin_flight = -3", "outbox.in_flight: must be at least 1, got -3"),
            (server + "[outbox]\nmax_attempts = -1", "outbox.max_attempts: must be at least 0, got -1"),
            (server + "[outbox]\nreplay_rate = 0", "outbox.replay_rate: must be a positive number of messages per second, got 0.0"),
            (server + "[outbox]\nreplay_rate = inf", "outbox.replay_rate: must be a positive number of messages per second, got inf"),
            (server + "[reconnect]\njitter = 1.5", "reconnect.jitter: must be within 0...1 (a fraction such as 0.2), got 1.5"),
            (server + "[reconnect]\njitter = nan", "reconnect.jitter: must be within 0...1 (a fraction such as 0.2), got nan"),
            (server + "[heartbeat]\ninterval = \"0s\"", "heartbeat.interval: must be a positive duration, got \"0s\""),
            (server + "[handlers.event]\nexec = \"/x\"\nconcurrency = 0", "handlers.event.concurrency: must be at least 1, got 0"),
            (server + "[handlers.event]\nexec = \"/x\"\nmax_output = 0", "handlers.event.max_output: must be a positive size, got integer 0"),
            (server + "[handlers.event]\nexec = \"/x\"\nmax_output = \"0KiB\"", "handlers.event.max_output: must be a positive size, got string \"0KiB\""),
            (server + "[reconnect]\ninitial_backoff = \"10s\"\nmax_backoff = \"5s\"", "reconnect.max_backoff: 5s is below reconnect.initial_backoff (10s); the longest delay cannot be shorter than the first"),
            (server + "[reconnect]\nmax_backoff = \"500ms\"", "reconnect.max_backoff: 500ms is below reconnect.initial_backoff (1s); the longest delay cannot be shorter than the first"),

            // Missing server.address, and bad addresses.
            ("", "server.address: missing; give the backbone's host:port, e.g. address = \"backbone.example.com:8474\""),
            ("[server]\nserver_name = \"b\"", "server.address: missing; give the backbone's host:port, e.g. address = \"backbone.example.com:8474\""),
            ("[server]\naddress = \"\"", "server.address: must not be empty"),
            ("[server]\naddress = \"::1:8474\"", "server.address: \"::1:8474\" has several colons; write an IPv6 address in brackets, e.g. \"[::1]:8474\""),
            ("[server]\naddress = \"backbone:0\"", "server.address: \"backbone:0\" has port \"0\"; a port is a number from 1 to 65535"),
            ("[server]\naddress = \"backbone:70000\"", "server.address: \"backbone:70000\" has port \"70000\"; a port is a number from 1 to 65535"),
            ("[server]\naddress = \"backbone:\"", "server.address: \"backbone:\" has port \"\"; a port is a number from 1 to 65535"),
            ("[server]\naddress = \"backbone:+1\"", "server.address: \"backbone:+1\" has port \"+1\"; a port is a number from 1 to 65535"),
            ("[server]\naddress = \":8474\"", "server.address: \":8474\" has no host; use host:port, e.g. \"backbone.example.com:8474\" or \"[::1]:8474\" (the port defaults to 8474)"),
            ("[server]\naddress = \"[::1\"", "server.address: \"[::1\" has no closing ]; use host:port, e.g. \"backbone.example.com:8474\" or \"[::1]:8474\" (the port defaults to 8474)"),
            ("[server]\naddress = \"[::1]8474\"", "server.address: \"[::1]8474\" has \"8474\" after the ]; use host:port, e.g. \"backbone.example.com:8474\" or \"[::1]:8474\" (the port defaults to 8474)"),
            ("[server]\naddress = \"quic://backbone:8474\"", "server.address: \"quic://backbone:8474\" has a scheme; use host:port, e.g. \"backbone.example.com:8474\" or \"[::1]:8474\" (the port defaults to 8474)"),
            ("[server]\naddress = \"back bone:8474\"", "server.address: \"back bone:8474\" is not host:port; use host:port, e.g. \"backbone.example.com:8474\" or \"[::1]:8474\" (the port defaults to 8474)"),

            // Handler tables.
            (server + "[handlers.command]\nexec = \"handlers/command.sh\"", "handlers.command.exec: \"handlers/command.sh\" is not an absolute path; give the full path of the handler executable, starting with /"),
            (server + "[commands.reboot]\nexec = \"./reboot\"", "commands.reboot.exec: \"./reboot\" is not an absolute path; give the full path of the handler executable, starting with /"),
            (server + "[handlers.query]\ntimeout = \"5s\"", "handlers.query.exec: missing; give the absolute path of the handler executable"),
            (server + "[commands.reboot]", "commands.reboot.exec: missing; give the absolute path of the handler executable"),
            (server + "[commands.\"\"]\nexec = \"/x\"", "commands.\"\": a command name must not be empty"),
            (server + "[handlers.command]\nexec = \"/x\"\nuser = \"\"", "handlers.command.user: must not be empty"),

            // TLS files come in pairs.
            (server + "cert_file = \"/etc/quicflow/agent.pem\"", "server.cert_file: is set but server.key_file is not; give both for mutual TLS, or neither"),
            (server + "key_file = \"/etc/quicflow/agent-key.pem\"", "server.key_file: is set but server.cert_file is not; give both for mutual TLS, or neither"),

            // The agent's own table.
            (server + "[agent]\nclient_id = \"\"", "agent.client_id: must not be empty"),
            (server + "[agent]\nclient_id = \"\(String(repeating: "x", count: 257))\"", "agent.client_id: is 257 bytes long; at most 256 are allowed"),
            (server + "[agent]\ndata_dir = \"var/lib/agent\"", "agent.data_dir: \"var/lib/agent\" is not an absolute path; give the full path of the agent's data directory, starting with /"),
        ])
    func problem(toml: String, expected: String) {
        #expect(Self.problems(toml) == [expected])
    }

    @Test("every problem of a file is reported at once, each on its own line")
    func severalProblems() {
        let toml = """
            [agent]
            clinet_id = "edge-1"

            [server]
            cert_file = "/etc/quicflow/agent.pem"

            [outbox]
            max_age = "7 days"
            max_messages = 0

            [handlers.command]
            exec = "command.sh"
            max_output = "1MB"

            [colours]
            """
        let error = #expect(throws: AgentError.self) { try AgentConfiguration(toml: toml, path: "agent.conf") }
        let lines = error?.message.split(separator: "\n").map(String.init) ?? []
        #expect(lines.first == "agent.conf has 8 problems:")
        let problems = Set(lines.dropFirst().map { String($0.drop(while: { $0 == " " })) })
        #expect(
            problems == [
                "colours: unknown table; the known tables here are agent, commands, handlers, heartbeat, outbox, reconnect, server",
                "agent.clinet_id: unknown key; did you mean client_id?",
                "server.address: missing; give the backbone's host:port, e.g. address = \"backbone.example.com:8474\"",
                "server.cert_file: is set but server.key_file is not; give both for mutual TLS, or neither",
                "outbox.max_age: \"7 days\" is not a duration; use forms like 500ms, 15s, 5m, 2h, 7d",
                "outbox.max_messages: must be at least 1, got 0",
                "handlers.command.exec: \"command.sh\" is not an absolute path; give the full path of the handler executable, starting with /",
                "handlers.command.max_output: \"1MB\" is not a size; use forms like 512B, 64KiB, 1MiB, 2GiB or a plain number of bytes",
            ])
    }

    @Test("without a path the heading says 'the configuration'")
    func headingWithoutPath() {
        let error = #expect(throws: AgentError.self) { try AgentConfiguration(toml: "") }
        #expect(error?.message.hasPrefix("the configuration has 1 problem:\n  server.address: missing") == true)
    }
}
