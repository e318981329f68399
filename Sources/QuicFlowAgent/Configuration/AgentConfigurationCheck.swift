import Foundation
import QuicFlowConfigFile
import QUICTransport
import QuicFlowHooks

/// What the agent would refuse once it runs, found before it does: the
/// checks of `quicflow-agent check-config` beyond the file's syntax and
/// ranges, against this machine's files and accounts.
///
/// Every problem is found in one pass and named by its key. Problems come
/// in two kinds because `run` treats them differently: without a usable
/// server address or TLS files the agent can do nothing (it exits 78), while
/// a handler that cannot run costs only the messages for that handler (the
/// agent starts, logs each one, and answers FAILURE for its messages, so a
/// broken handler never cuts a device off from its operators).
public struct AgentConfigurationCheck: Sendable {
    /// Problems that stop the agent, each `key: what is wrong and what to do`.
    public let fatal: [String]
    /// Handlers that cannot run, in the same form.
    public let handlers: [String]

    /// Checks `configuration` as this process (its user, its files).
    public init(_ configuration: AgentConfiguration) {
        let fatal = ConfigurationProblems()
        let server = configuration.server
        if ExampleHost.isPlaceholder(server.host) {
            fatal.report(
                "server.address",
                "\(Quoted(server.address)) is the example configuration's placeholder; set it to your backbone's host:port")
        }
        if let caFile = server.caFile {
            let tls = QUICTLSConfiguration.client(trustRoots: .file(caFile), applicationProtocols: ["quicflow-check"])
            do {
                try tls.check(asServer: false)
            } catch {
                fatal.report("server.ca_file", error.message)
            }
        }
        if let certificate = server.certificateFile, let key = server.keyFile {
            var tls = QUICTLSConfiguration(applicationProtocols: ["quicflow-check"])
            tls.insecureSkipVerify = true
            tls.certificateChainFile = certificate
            tls.privateKeyFile = key
            do {
                try tls.check(asServer: false)
            } catch {
                fatal.report("server.cert_file", error.message)
            }
        }

        let handlers = ConfigurationProblems()
        let tables: [(String, HandlerConfiguration?)] = [
            ("handlers.command", configuration.handlers.command),
            ("handlers.query", configuration.handlers.query),
            ("handlers.event", configuration.handlers.event),
        ] + configuration.commands.sorted { $0.key < $1.key }.map { ("commands.\($0.key)", $0.value) }
        for case let (key, handler?) in tables {
            handler.reportUnrunnable(as: key, into: handlers)
        }
        self.fatal = fatal.lines
        self.handlers = handlers.lines
    }

    /// Whether nothing was found.
    public var isEmpty: Bool { fatal.isEmpty && handlers.isEmpty }

    /// Every problem (only the ``fatal`` ones unless `includingHandlers`),
    /// after a heading that names `path`, as an `invalidConfiguration`
    /// error; `nil` when there is none.
    public func error(path: String, includingHandlers: Bool = true) -> AgentError? {
        let lines = includingHandlers ? fatal + handlers : fatal
        return ConfigurationProblems(lines: lines).error(path: path).map { AgentError($0) }
    }
}
