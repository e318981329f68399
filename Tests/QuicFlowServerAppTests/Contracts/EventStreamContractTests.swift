@testable import QuicFlowServerApp
import Testing

/// The ``EventSink``/``EventSource`` contract, run against every implementation.
@Suite("Contract: EventSink and EventSource", .timeLimit(.minutes(1)))
struct EventStreamContractTests {
    /// The first `count` live events of `subscription`.
    static func take(_ count: Int, from subscription: EventSubscription) async -> [NumberedEvent] {
        var received: [NumberedEvent] = []
        for await numbered in subscription.live where numbered.id > subscription.liveAfter {
            received.append(numbered)
            if received.count == count { break }
        }
        return received
    }

    @Test("a listener gets every event published after it subscribed, in order, with increasing ids", arguments: EventStreamUnderTest.kinds)
    func liveOrder(_ kind: StateImplementation) async throws {
        let subject = try await EventStreamUnderTest.make(kind)
        defer { subject.cleanUp() }
        let stream = subject.stream
        let subscription = await stream.subscribe(after: nil)
        #expect(stream.listenerCount == 1)
        for n in 0..<5 { stream.publish(ServerEvent("e\(n)")) }
        let received = await Self.take(5, from: subscription)
        #expect(received.map(\.event.event) == ["e0", "e1", "e2", "e3", "e4"])
        #expect(zip(received, received.dropFirst()).allSatisfy { $0.id < $1.id })
    }

    @Test("a resuming listener first gets the kept events after its last id, then the live ones, each once", arguments: EventStreamUnderTest.kinds)
    func resume(_ kind: StateImplementation) async throws {
        let subject = try await EventStreamUnderTest.make(kind)
        defer { subject.cleanUp() }
        let stream = subject.stream
        let first = await stream.subscribe(after: nil)
        for n in 0..<3 { stream.publish(ServerEvent("e\(n)")) }
        let ids = await Self.take(3, from: first).map(\.id)
        let resumed = await stream.subscribe(after: ids[0])
        #expect(resumed.replay.map(\.id) == Array(ids.dropFirst()))
        #expect(resumed.replay.map(\.event.event) == ["e1", "e2"])
        #expect(resumed.gap == nil)
        stream.publish(ServerEvent("e3"))
        let live = await Self.take(1, from: resumed)
        #expect(live.map(\.event.event) == ["e3"], "the replayed ones are not repeated live")
        #expect(live.first.map { $0.id > ids[2] } == true)
    }
}
