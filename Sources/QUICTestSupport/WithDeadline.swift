/// Runs `operation`, failing with ``EventuallyTimeout`` (and cancelling it)
/// when it takes longer than `timeout`: a wait in a test that a regression
/// turns into a hang fails in seconds and names what it waited for.
public func withDeadline<T: Sendable>(
    _ timeout: Duration, _ what: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let result = try await group.next(), let value = result else {
            throw EventuallyTimeout(description: "timed out after \(timeout) waiting for \(what)")
        }
        return value
    }
}
