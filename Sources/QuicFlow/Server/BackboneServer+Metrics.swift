import QUICTransport
import QuicFlowTime
/// Metrics: the snapshot and the Prometheus text.
extension BackboneServer {
    /// Every MetricsSnapshot field: counters since start, acknowledgement
    /// round-trip percentiles (µs) from an HDR histogram, and throughput
    /// over the last 10 seconds.
    public func metrics() -> MetricsSnapshot {
        var uptime: Duration?
        if case .running(_, let since) = lifecycle { uptime = clock.now() - since }
        return metricsState.snapshot(connected: sessions.live.count, promisesActive: activePromises, uptime: uptime)
    }

    /// The metrics in Prometheus text exposition format (names prefixed
    /// `quicflow_`), for a `/metrics` endpoint.
    /// After the snapshot's metrics come the limits (each refusal counted
    /// by the limit that caused it), the received log's figures, the
    /// transport's own counters and `extra`: an application's own figures,
    /// exported through the same registry.
    public func prometheusText(adding extra: [PrometheusFigure] = []) async -> String {
        let busy = await dispatcher.busyRefusals
        let answers = try? await receivedLog.answerCount()
        let transport = try? await lifecycle.endpoint?.statistics()
        return metricsState.prometheusText(
            metrics(), dispatcherRefusals: busy, answersRemembered: answers, transport: transport, extra: extra)
    }

    /// Promises refused (maxPromises) and threshold crossings, for tests
    /// and logs.
    var promiseRefusals: Int { metricsState.counters.promiseRefusals }
    var promiseWarnings: Int { metricsState.counters.promiseWarnings }
}
