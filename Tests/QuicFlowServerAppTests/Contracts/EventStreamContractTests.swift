@testable import QuicFlowServerApp
import Testing

/// The ``EventSink``/``EventSource`` contract, run against every implementation.
@Suite("Contract: EventSink and EventSource", .timeLimit(.minutes(1)))
struct EventStreamContractTests {
    static func makeStreams() -> [any EventSink & EventSource] { [EventHub(firstEventID: 1_000)] }

    @Test("a listener gets every event published after it subscribed, in order, with increasing ids")
    func liveOrder() async throws {
        for hub in Self.makeStreams() {
            let subscription = hub.subscribe(after: nil)
            #expect(hub.listenerCount == 1)
            for n in 0..<5 { hub.publish(ServerEvent("e\(n)")) }
            var received: [NumberedEvent] = []
            for await numbered in subscription.live {
                received.append(numbered)
                if received.count == 5 { break }
            }
            #expect(received.map(\.event.event) == ["e0", "e1", "e2", "e3", "e4"])
            #expect(zip(received, received.dropFirst()).allSatisfy { $0.id < $1.id })
        }
    }

    @Test("a resuming listener first gets the kept events after its last id, then a gap when they are gone")
    func resume() async throws {
        for hub in Self.makeStreams() {
            let first = hub.subscribe(after: nil)
            for n in 0..<3 { hub.publish(ServerEvent("e\(n)")) }
            var ids: [UInt64] = []
            for await numbered in first.live {
                ids.append(numbered.id)
                if ids.count == 3 { break }
            }
            let resumed = hub.subscribe(after: ids[0])
            #expect(resumed.replay.map(\.id) == Array(ids.dropFirst()))
            #expect(resumed.gap == nil)
            let tooOld = hub.subscribe(after: ids[0] - 10)
            #expect(tooOld.gap != nil, "events before the kept ones are said to be gone")
        }
    }
}
