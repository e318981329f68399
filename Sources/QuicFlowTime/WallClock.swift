import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one source of calendar time: Unix milliseconds, the unit of every
/// stored timestamp and of the wire's `timestamp` fields.
///
/// Durations and deadlines use an injected `Clock<Duration>`; this is only
/// for times that are stored or shown. A test injects ``manual(startingAt:)``
/// to make stored times exact.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Int64

    /// A clock that reads `read` for the current Unix time in milliseconds.
    public init(_ read: @escaping @Sendable () -> Int64) {
        self.read = read
    }

    /// The system's real-time clock.
    public static let system = WallClock {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// The current time in Unix milliseconds.
    public func unixMilliseconds() -> Int64 {
        read()
    }

    /// The current time in Unix seconds, for databases that store REAL seconds.
    public func unixSeconds() -> Double {
        Double(read()) / 1_000
    }
}
