/// One figure for `/metrics`: a cumulative count or a current value, with
/// its name (already prefixed `quicflow_`), help text and labels.
/// ``BackboneServer/prometheusText(adding:)`` renders figures through the
/// server's own swift-prometheus registry, so nothing writes exposition
/// text by hand.
public struct PrometheusFigure: Sendable {
    /// How Prometheus treats the value.
    public enum Kind: Sendable {
        /// Only grows; exported as the increase since the last scrape.
        case counter
        /// Any value, set as is.
        case gauge
    }

    /// The metric's name, e.g. `quicflow_queued_messages`.
    public let name: String
    /// Labels that tell this series from the metric's others.
    public let labels: [(String, String)]
    /// What it measures, for `# HELP`.
    public let help: String
    /// Counter or gauge.
    public let kind: Kind
    /// The count so far (a counter) or the value now (a gauge).
    public let value: Int64

    /// A figure; `labels` tell apart the series of one name.
    public init(_ kind: Kind, _ name: String, labels: [(String, String)] = [], help: String, value: Int64) {
        self.kind = kind
        self.name = name
        self.labels = labels
        self.help = help
        self.value = value
    }

    /// The series' identity: its name and labels.
    var series: String {
        labels.isEmpty ? name : name + "{" + labels.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
    }
}
