import QUICTransport
import QuicFlowTime

/// A server's figures: lifetime counters, acknowledgement latency, recent
/// throughput, and their rendering as a ``MetricsSnapshot`` and as
/// Prometheus text. Owned by ``BackboneServer``, mutated on its actor.
struct ServerMetrics {
    var counters = ServerCounters()
    private var latency = LatencyRecorder()
    private var throughput = ThroughputWindow()
    private let exporter = PrometheusExporter()
    private let clock: ElapsedClock

    init(clock: ElapsedClock) {
        self.clock = clock
    }

    /// Counts `count` messages in the throughput window.
    mutating func countThroughput(_ count: Int) {
        throughput.record(count, at: second())
    }

    /// Records one acknowledgement round trip.
    mutating func recordLatency(_ duration: Duration) {
        latency.record(duration)
    }

    /// Whole seconds on the injected clock: only differences matter.
    private func second() -> Int64 {
        clock.now().components.seconds
    }

    /// Every snapshot field, from the counters and the live figures given.
    func snapshot(connected: Int, promisesActive: Int, uptime: Duration?) -> MetricsSnapshot {
        var m = MetricsSnapshot()
        m.connectedClients = Int64(connected)
        m.totalConnections = Int64(counters.totalConnections)
        m.totalDisconnects = Int64(counters.totalDisconnects)
        m.messagesSent = Int64(counters.messagesSent)
        m.messagesReceived = Int64(counters.messagesReceived)
        m.messagesFailed = Int64(counters.messagesFailed)
        m.bytesSent = Int64(counters.bytesSent)
        m.bytesReceived = Int64(counters.bytesReceived)
        m.messageThroughput = Int64(throughput.rate(at: second()).rounded())
        m.averageLatency = latency.mean
        m.p50Latency = latency.percentile(50)
        m.p95Latency = latency.percentile(95)
        m.p99Latency = latency.percentile(99)
        m.heartbeatsSent = Int64(counters.heartbeatsSent)
        m.heartbeatsReceived = Int64(counters.heartbeatsReceived)
        m.heartbeatTimeouts = Int64(counters.heartbeatTimeouts)
        m.promiseCreated = Int64(counters.promisesCreated)
        m.promiseCompleted = Int64(counters.promisesCompleted)
        m.promiseTimeouts = Int64(counters.promiseTimeouts)
        m.promiseActive = Int64(promisesActive)
        m.broadcastsSent = Int64(counters.broadcastsSent)
        m.broadcastTargets = Int64(counters.broadcastTargets)
        m.encodingErrors = Int64(counters.encodingErrors)
        m.decodingErrors = Int64(counters.decodingErrors)
        m.networkErrors = Int64(counters.networkErrors)
        m.uptimeSeconds = uptime?.components.seconds ?? 0
        m.timestamp = WallClock.system.unixMilliseconds()
        return m
    }

    /// The snapshot's figures, then the limits (each refusal counted by the
    /// limit that caused it), the received log's figures, the transport's
    /// own counters and `extra` (the daemon's), as Prometheus text.
    func prometheusText(
        _ snapshot: MetricsSnapshot, dispatcherRefusals: Int, answersRemembered: Int?,
        transport: QUICEndpointStatistics?, extra: [PrometheusFigure]
    ) -> String {
        var figures = snapshot.prometheusFigures
        let refusals: [(String, Int)] = [
            ("max_clients", counters.maxClientsRefusals),
            ("max_promises", counters.promiseRefusals),
            ("max_message_size_outbound", counters.oversizeOutbound),
            ("max_message_size_inbound", counters.oversizeInbound),
            ("dispatcher_queue", dispatcherRefusals),
            ("registration_timeout", counters.registrationTimeouts),
        ]
        for (limit, count) in refusals {
            figures.append(PrometheusFigure(
                .counter, "quicflow_limit_refusals_total", labels: [("limit", limit)],
                help: "Requests refused by a configured limit, by limit.", value: Int64(count)))
        }
        figures += [
            PrometheusFigure(
                .counter, "quicflow_repeats_answered_from_store_total",
                help: "Device messages repeating an answered msg_id (an ACK lost, a crash), answered from the received log without handling them again.",
                value: Int64(counters.repeatsAnswered)),
            PrometheusFigure(
                .counter, "quicflow_messages_redelivered_total",
                help: "Device messages a previous run began handling and did not finish, handled again as redelivered.",
                value: Int64(counters.redeliveries)),
        ]
        if let answersRemembered {
            figures.append(PrometheusFigure(
                .gauge, "quicflow_remembered_answers",
                help: "Answers to device messages kept (for the msg_id window) to answer repeats.", value: Int64(answersRemembered)))
        }
        if let transport {
            func figure(_ kind: PrometheusFigure.Kind, _ name: String, _ help: String, _ value: Int) -> PrometheusFigure {
                PrometheusFigure(kind, "quicflow_transport_" + name, help: help, value: Int64(value))
            }
            figures += [
                figure(.counter, "datagrams_dropped_total", "Datagrams dropped as undecodable or unacceptable.", transport.datagramsDropped),
                figure(.counter, "handshakes_refused_total", "Initials dropped by the per-address handshake limit.", transport.handshakesRefused),
                figure(.gauge, "handshakes_in_progress", "Server handshakes in progress.", transport.handshakesInProgress),
                figure(.counter, "retries_sent_total", "Retry packets sent for address validation.", transport.retriesSent),
                figure(.counter, "stateless_resets_sent_total", "Stateless resets sent for packets of unknown connections.", transport.statelessResetsSent),
                figure(.gauge, "connections", "QUIC connections, including unregistered, closing and draining ones.", transport.connections),
            ]
        }
        return exporter.render(figures + extra)
    }
}
