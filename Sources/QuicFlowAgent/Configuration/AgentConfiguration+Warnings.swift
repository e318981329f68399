import QuicFlowConfigFile

extension AgentConfiguration {
    /// The longest heartbeat interval a Go QuicFlow backbone tolerates: it
    /// checks every 5 s for a PING within the last 15 s and evicts after three
    /// misses, so a PING must come at least every ~20 s.
    public static let goBackboneHeartbeatLimit: Duration = .seconds(20)

    /// Settings that are valid but likely to hurt, each a sentence that says
    /// which key, why, and what to set instead. `check-config` prints them
    /// and the agent logs them at start; neither refuses the file.
    public var warnings: [String] {
        var warnings: [String] = []
        if heartbeat.interval > Self.goBackboneHeartbeatLimit {
            warnings.append(
                "[heartbeat] interval is \(DurationParser.format(heartbeat.interval)), above \(DurationParser.format(Self.goBackboneHeartbeatLimit)): a Go QuicFlow backbone counts only PINGs as liveness and evicts an agent silent for about 25-30 s; set interval = \"15s\" (the default) or less when the backbone is the Go original"
            )
        }
        return warnings
    }
}
