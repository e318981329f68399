import QuicFlowAgent

/// Awaits change signals with a deadline, so that a missing signal fails a
/// test instead of hanging it. The deadline is a guard, not synchronisation.
enum ChangeSignal {
    /// `true` when `stream` yields before `timeout`.
    static func next(_ stream: AsyncStream<Void>, timeout: Duration = .seconds(10)) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in stream {
                    return true
                }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
