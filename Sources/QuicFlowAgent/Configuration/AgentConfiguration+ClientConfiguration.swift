import QuicFlowConfigFile
public import QuicFlow
import QUICTransport

import QuicFlowTime
import QuicFlowHooks
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension AgentConfiguration {
    /// Extra time the backbone client gives a handler beyond the handler's
    /// own `timeout`, so that the agent's runner stops the executable and
    /// answers TIMEOUT itself (with whatever output there was) before the
    /// client's dispatcher gives up on it.
    static let handlerTimeoutGrace: Duration = .seconds(5)

    /// The largest payload the agent accepts into its outbox: QuicFlow's
    /// message size limit (1 MiB) less 1 KiB for the frame's other fields,
    /// so that everything accepted can be sent.
    public static let maxPayloadSize = (1 << 20) - 1_024

    /// The QuicFlow client configuration for this agent.
    ///
    /// Maps `client_id`, `[server]` `ca_file`, `insecure_skip_verify`,
    /// `cert_file` and `key_file`, `[reconnect]` and `[heartbeat]`. Also:
    /// - `defaultMessageTimeout` is `outbox.ack_timeout`;
    /// - the QUIC handshake timeout is `heartbeat.timeout`, so an attempt
    ///   to reach a server that is down fails as fast as a missed PONG;
    /// - `dispatcherWorkers` is the sum of every handler's `concurrency`,
    ///   and `handlerTimeout` the longest handler `timeout` plus 5 seconds,
    ///   so the agent's per-handler limits are the ones that apply;
    ///   `dispatcherQueueSize` is `[agent] handler_queue`.
    ///
    /// - Throws: ``AgentError`` (`invalidConfiguration`) when a PEM file
    ///   cannot be read (named by its key, e.g. `server.ca_file`), or when
    ///   QuicFlow refuses a value.
    public func clientConfiguration() throws(AgentError) -> ClientConfiguration {
        // Checked here as well as by QuicFlow so that the error names the
        // file's keys rather than QuicFlow's parameter names.
        let problems = ConfigurationProblems()
        let files = [("ca_file", server.caFile), ("cert_file", server.certificateFile), ("key_file", server.keyFile)]
        for (key, file) in files {
            guard let file, access(file, R_OK) != 0 else { continue }
            let reason = String(cString: strerror(errno))
            problems.report("server.\(key)", "\(Quoted(file)) cannot be read: \(reason)")
        }
        if let error = problems.error(path: nil) {
            throw AgentError(error)
        }

        let runners = handlers.all + commands.values
        let workers = runners.isEmpty ? nil : runners.reduce(0) { $0 + $1.concurrency }
        let longest = runners.map(\.timeout).max().map { $0 + Self.handlerTimeoutGrace }
        // An unreachable server answers nothing over UDP: each connection
        // attempt would wait QUIC's 10 s handshake timeout. The heartbeat
        // timeout is how long this agent waits for the server's answer
        // anyway, so it bounds the handshake too.
        var transport = QUICSettings()
        transport.handshakeTimeout = heartbeat.timeout
        do {
            return try ClientConfiguration(
                clientID: clientID,
                caFile: server.caFile,
                insecureSkipVerify: server.insecureSkipVerify,
                certificateFile: server.certificateFile,
                keyFile: server.keyFile,
                reconnectEnabled: true,
                initialBackoff: reconnect.initialBackoff,
                maxBackoff: reconnect.maxBackoff,
                jitter: reconnect.jitter,
                heartbeatInterval: heartbeat.interval,
                heartbeatTimeout: heartbeat.timeout,
                defaultMessageTimeout: outbox.ackTimeout,
                dispatcherWorkers: workers ?? 4,
                dispatcherQueueSize: handlerQueue,
                handlerTimeout: longest ?? HandlerConfiguration.defaultTimeout,
                transport: transport)
        } catch {
            throw AgentError(.invalidConfiguration, "the backbone client refused the configuration: \(error.message)")
        }
    }
}
