import QuicFlow

extension Outbox {
    /// Waits until the message `msgID` is settled: answered by the server
    /// (SUCCESS, or a FAILURE it stays queued after, to be tried again),
    /// given up (dead), or gone from the outbox and its history; returns
    /// `nil` if `timeout` passes first (it is then still on its way).
    ///
    /// Wakes on the outbox's change signals (another process's delivery
    /// included), not by re-reading the row in a loop.
    public func settlement(of msgID: String, timeout: Duration) async throws(AgentError) -> OutboxLookup? {
        // Subscribe before the first look so no change can slip between.
        let changes = changes()
        let outcome = await withTaskGroup(of: Result<OutboxLookup?, AgentError>.self) { group in
            group.addTask {
                do throws(AgentError) {
                    if let settled = try await self.settled(msgID) { return .success(settled) }
                    for await _ in changes {
                        if let settled = try await self.settled(msgID) { return .success(settled) }
                    }
                    return .success(nil)
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .success(nil)
            }
            let first = await group.next() ?? .success(nil)
            group.cancelAll()
            return first
        }
        return try outcome.get()
    }

    /// The message's fate once decided; `nil` while it is still on its way.
    private func settled(_ msgID: String) async throws(AgentError) -> OutboxLookup? {
        let lookup = try await lookup(msgID: msgID)
        if case .queued(let row) = lookup, row.state != .dead, row.lastStatus != .failure { return nil }
        return lookup
    }
}
