import Synchronization

/// The ``ClientDirectory`` of a single node: a dictionary behind a lock.
public final class InMemoryClientDirectory: ClientDirectory {
    private let entries = Mutex<[String: ClientPresence]>([:])
    /// The last epoch of every device ever registered: removal keeps it.
    private let epochs = Mutex<[String: Int64]>([:])

    /// An empty directory.
    public init() {}

    @discardableResult
    public nonisolated(nonsending) func register(_ presence: ClientPresence) async throws -> ClientRegistration {
        entries.withLock { entries in
            var presence = presence
            presence.epoch = epochs.withLock { epochs in
                let next = (epochs[presence.clientID] ?? 0) + 1
                epochs[presence.clientID] = next
                return next
            }
            let previous = entries[presence.clientID]
            entries[presence.clientID] = presence
            return ClientRegistration(epoch: presence.epoch, replaced: previous)
        }
    }

    @discardableResult
    public nonisolated(nonsending) func heartbeat(clientID: String, sessionID: String, at time: Int64) async throws -> Bool {
        entries.withLock { entries in
            guard entries[clientID]?.sessionID == sessionID else { return false }
            entries[clientID]?.lastHeartbeat = time
            return true
        }
    }

    @discardableResult
    public nonisolated(nonsending) func remove(clientID: String, sessionID: String) async throws -> Bool {
        entries.withLock { entries in
            guard entries[clientID]?.sessionID == sessionID else { return false }
            entries[clientID] = nil
            return true
        }
    }

    public nonisolated(nonsending) func lookup(_ clientID: String) async throws -> ClientPresence? {
        entries.withLock { $0[clientID] }
    }

    public nonisolated(nonsending) func all() async throws -> [ClientPresence] {
        entries.withLock { $0.values.sorted { $0.clientID < $1.clientID } }
    }
}
