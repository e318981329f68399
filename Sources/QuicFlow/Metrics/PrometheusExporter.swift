import Prometheus
import Synchronization

/// Turns ``PrometheusFigure``s into Prometheus text exposition through a
/// swift-prometheus registry of its own: a library must not bootstrap the
/// process-wide metrics system, and each server exports its own figures.
///
/// The server keeps its counts as plain integers on its actor (cheap on
/// the message path, and readable for ``MetricsSnapshot``); a counter here
/// grows by the increase since the previous scrape.
final class PrometheusExporter: Sendable {
    private struct Series {
        var counters: [String: (Counter, Int64)] = [:]
        var gauges: [String: Gauge] = [:]
    }

    private let registry = PrometheusCollectorRegistry()
    private let series = Mutex(Series())

    /// The exposition text with every figure at its value now.
    func render(_ figures: [PrometheusFigure]) -> String {
        series.withLock { series in
            for figure in figures {
                switch figure.kind {
                case .counter:
                    let (counter, exported) = series.counters[figure.series] ?? (
                        registry.makeCounter(descriptor: Self.descriptor(figure), labels: figure.labels), 0)
                    if figure.value > exported { counter.increment(by: figure.value - exported) }
                    series.counters[figure.series] = (counter, max(exported, figure.value))
                case .gauge:
                    let gauge = series.gauges[figure.series]
                        ?? registry.makeGauge(descriptor: Self.descriptor(figure), labels: figure.labels)
                    series.gauges[figure.series] = gauge
                    gauge.set(figure.value)
                }
            }
        }
        return registry.emitToString()
    }

    /// The figure's full name as one component (the registry joins
    /// non-empty components with "_"), with its help text.
    private static func descriptor(_ figure: PrometheusFigure) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: figure.name, unitName: "", helpText: figure.help)
    }
}
