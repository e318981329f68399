import Prometheus

/// Turns metrics snapshots into Prometheus text exposition with names
/// prefixed `quicflow_`. Owns its registry: a library must not bootstrap
/// the process-wide metrics system, so each server exports its own.
final class PrometheusExporter: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let counters: [(any KeyPath<MetricsSnapshot, Int64> & Sendable, Counter)]
    private let gauges: [(any KeyPath<MetricsSnapshot, Int64> & Sendable, Gauge)]
    private let last = LastExported()

    init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        // Names end up as quicflow_<name>: "_total" for counters comes from
        // the names below, as Prometheus conventions ask.
        func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "quicflow", metricName: name, unitName: "", helpText: help)
        }
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: descriptor(name, help))
        }
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: descriptor(name, help))
        }
        counters = [
            (\.totalConnections, counter("connections_total", "Client registrations since start.")),
            (\.totalDisconnects, counter("disconnects_total", "Client sessions ended since start.")),
            (\.messagesSent, counter("messages_sent_total", "Messages sent to clients.")),
            (\.messagesReceived, counter("messages_received_total", "Messages received from clients.")),
            (\.messagesFailed, counter("messages_failed_total", "Failed sends and failed handlings.")),
            (\.bytesSent, counter("bytes_sent_total", "Payload bytes sent.")),
            (\.bytesReceived, counter("bytes_received_total", "Payload bytes received.")),
            (\.heartbeatsSent, counter("heartbeats_sent_total", "PONGs sent.")),
            (\.heartbeatsReceived, counter("heartbeats_received_total", "PINGs received.")),
            (\.heartbeatTimeouts, counter("heartbeat_timeouts_total", "Clients evicted for silence.")),
            (\.promiseCreated, counter("promises_created_total", "Acknowledgements awaited.")),
            (\.promiseCompleted, counter("promises_completed_total", "Acknowledgements received.")),
            (\.promiseTimeouts, counter("promise_timeouts_total", "Acknowledgements that did not come in time.")),
            (\.broadcastsSent, counter("broadcasts_total", "Broadcasts made.")),
            (\.broadcastTargets, counter("broadcast_targets_total", "Clients reached by broadcasts.")),
            (\.encodingErrors, counter("encoding_errors_total", "Messages that could not be encoded.")),
            (\.decodingErrors, counter("decoding_errors_total", "Frames from clients that broke the protocol.")),
            (\.networkErrors, counter("network_errors_total", "Streams or connections that failed under a message.")),
        ]
        gauges = [
            (\.connectedClients, gauge("connected_clients", "Clients registered now.")),
            (\.promiseActive, gauge("promises_active", "Acknowledgements awaited now.")),
            (\.messageThroughput, gauge("message_throughput", "Messages per second over the last 10 seconds.")),
            (\.averageLatency, gauge("ack_latency_average_microseconds", "Mean acknowledgement round trip.")),
            (\.p50Latency, gauge("ack_latency_p50_microseconds", "Median acknowledgement round trip.")),
            (\.p95Latency, gauge("ack_latency_p95_microseconds", "95th percentile acknowledgement round trip.")),
            (\.p99Latency, gauge("ack_latency_p99_microseconds", "99th percentile acknowledgement round trip.")),
            (\.uptimeSeconds, gauge("uptime_seconds", "Seconds since the server started.")),
        ]
    }

    /// The exposition text for `snapshot`.
    func render(_ snapshot: MetricsSnapshot) -> String {
        let previous = last.swap(snapshot)
        for (path, counter) in counters {
            let delta = snapshot[keyPath: path] - (previous?[keyPath: path] ?? 0)
            if delta > 0 { counter.increment(by: delta) }
        }
        for (path, gauge) in gauges {
            gauge.set(snapshot[keyPath: path])
        }
        return registry.emitToString()
    }
}
