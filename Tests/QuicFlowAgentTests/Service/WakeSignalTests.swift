@testable import QuicFlowAgent
import Synchronization
import Testing

@Suite("Wake signal of the delivery loop", .timeLimit(.minutes(1)))
struct WakeSignalTests {
    @Test("a signal given before the wait is kept for it")
    func keptSignal() async {
        let wake = WakeSignal()
        wake.signal()
        await wake.wait(timeout: .seconds(600))  // returns at once, or the time limit fails the test
    }

    @Test("after a wait that timed out, the next wait still sleeps until a signal (it once returned at once forever)")
    func waitsAgainAfterTimeout() async {
        let wake = WakeSignal()
        await wake.wait(timeout: .milliseconds(10))
        let signalled = Flag()
        let signaller = Task {
            // Long enough that a wait returning early is seen before the signal.
            try? await Task.sleep(for: .milliseconds(200))
            signalled.set()
            wake.signal()
        }
        await wake.wait(timeout: .seconds(600))
        let wasSignalled = signalled.isSet
        #expect(wasSignalled, "the wait returned before anyone signalled")
        await signaller.value
        for _ in 0..<3 {
            await wake.wait(timeout: .milliseconds(10))
        }
    }
}

/// A flag shared with a task.
private final class Flag: Sendable {
    private let value = Atomic(false)
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}
