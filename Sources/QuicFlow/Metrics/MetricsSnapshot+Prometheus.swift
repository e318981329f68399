extension MetricsSnapshot {
    /// The snapshot's fields as `/metrics` figures, named `quicflow_…`
    /// ("_total" on counters, as Prometheus conventions ask).
    var prometheusFigures: [PrometheusFigure] {
        func counter(_ name: String, _ help: String, _ value: Int64) -> PrometheusFigure {
            PrometheusFigure(.counter, "quicflow_" + name, help: help, value: value)
        }
        func gauge(_ name: String, _ help: String, _ value: Int64) -> PrometheusFigure {
            PrometheusFigure(.gauge, "quicflow_" + name, help: help, value: value)
        }
        return [
            counter("connections_total", "Client registrations since start.", totalConnections),
            counter("disconnects_total", "Client sessions ended since start.", totalDisconnects),
            counter("messages_sent_total", "Messages sent to clients.", messagesSent),
            counter("messages_received_total", "Messages received from clients.", messagesReceived),
            counter("messages_failed_total", "Failed sends and failed handlings.", messagesFailed),
            counter("bytes_sent_total", "Payload bytes sent.", bytesSent),
            counter("bytes_received_total", "Payload bytes received.", bytesReceived),
            counter("heartbeats_sent_total", "PONGs sent.", heartbeatsSent),
            counter("heartbeats_received_total", "PINGs received.", heartbeatsReceived),
            counter("heartbeat_timeouts_total", "Clients evicted for silence.", heartbeatTimeouts),
            counter("promises_created_total", "Acknowledgements awaited.", promiseCreated),
            counter("promises_completed_total", "Acknowledgements received.", promiseCompleted),
            counter("promise_timeouts_total", "Acknowledgements that did not come in time.", promiseTimeouts),
            counter("broadcasts_total", "Broadcasts made.", broadcastsSent),
            counter("broadcast_targets_total", "Clients reached by broadcasts.", broadcastTargets),
            counter("encoding_errors_total", "Messages that could not be encoded.", encodingErrors),
            counter("decoding_errors_total", "Frames from clients that broke the protocol.", decodingErrors),
            counter("network_errors_total", "Streams or connections that failed under a message.", networkErrors),
            gauge("connected_clients", "Clients registered now.", connectedClients),
            gauge("promises_active", "Acknowledgements awaited now.", promiseActive),
            gauge("message_throughput", "Messages per second over the last 10 seconds.", messageThroughput),
            gauge("ack_latency_average_microseconds", "Mean acknowledgement round trip.", averageLatency),
            gauge("ack_latency_p50_microseconds", "Median acknowledgement round trip.", p50Latency),
            gauge("ack_latency_p95_microseconds", "95th percentile acknowledgement round trip.", p95Latency),
            gauge("ack_latency_p99_microseconds", "99th percentile acknowledgement round trip.", p99Latency),
            gauge("uptime_seconds", "Seconds since the server started.", uptimeSeconds),
        ]
    }
}
