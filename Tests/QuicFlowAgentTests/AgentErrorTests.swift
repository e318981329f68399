import QuicFlowAgent
import Testing

@Suite("Agent errors")
struct AgentErrorTests {
    @Test("an error prints its code and message")
    func description() {
        #expect("\(AgentError(.outboxFull, "100000 messages pending"))" == "outboxFull: 100000 messages pending")
    }
}
