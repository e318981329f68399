public import QuicFlowTime
import Synchronization

/// A wall clock a test moves by hand, for stored timestamps (row deadlines,
/// max_age, retention); it starts at a fixed time in 2027.
public final class ManualWallClock: Sendable {
    private let milliseconds = Atomic<Int64>(1_800_000_000_000)

    /// A clock at its fixed start.
    public init() {}

    /// The ``WallClock`` to inject.
    public var clock: WallClock {
        WallClock { [self] in self.milliseconds.load(ordering: .relaxed) }
    }

    /// Moves the clock forward.
    public func advance(by duration: Duration) {
        milliseconds.add(duration.wholeMilliseconds, ordering: .relaxed)
    }
}
