/// Polls state that has no event of its own (object counts released by
/// deinit, a session list, another process's database) until `condition`
/// holds, failing after `timeout`.
public func eventually(
    timeout: Duration = .seconds(10), _ what: String, _ condition: @Sendable () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while try await !condition() {
        if clock.now > deadline {
            throw EventuallyTimeout(description: "timed out after \(timeout) waiting for \(what)")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// ``eventually(timeout:_:_:)`` gave up.
public struct EventuallyTimeout: Error, CustomStringConvertible {
    /// What was awaited, and for how long.
    public let description: String
}
