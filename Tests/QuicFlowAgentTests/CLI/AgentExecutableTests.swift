import Testing

/// Every test of the built `quicflow-agent` binary, one at a time: each
/// starts real processes (agents, senders) and would otherwise starve the
/// rest of the suite's timing-sensitive network tests on a 2-core machine.
@Suite("quicflow-agent executable", .serialized)
struct AgentExecutableTests {}
