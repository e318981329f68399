import Foundation

/// The outbox's identity and its last recorded counts, in a small file
/// beside it (`outbox.sqlite.identity`).
///
/// SQLite cannot tell a truncated, deleted or swapped file from a new one:
/// it opens all three as an empty database. The marker can: once a data
/// directory has held an outbox, an outbox that is missing, empty, or
/// carries another identity is refused instead of silently replaced, with
/// the counts last recorded here so the operator knows what may be lost.
struct OutboxIdentity: Codable, Sendable, Hashable {
    /// The id stored in the outbox (`agent_state` key `outbox_id`).
    var outboxID: String
    /// When the outbox was first opened (Unix ms).
    var createdAt: Int64
    /// The counts when last recorded.
    var pending: Int
    var inFlight: Int
    var dead: Int
    /// When they were recorded (Unix ms).
    var recordedAt: Int64

    enum CodingKeys: String, CodingKey {
        case outboxID = "outbox_id"
        case createdAt = "created_at"
        case pending
        case inFlight = "in_flight"
        case dead
        case recordedAt = "recorded_at"
    }

    /// The marker of the outbox at `outboxPath`.
    static func path(for outboxPath: String) -> String {
        outboxPath + ".identity"
    }

    /// The marker at `path`; `nil` when there is none.
    /// - Throws: ``AgentError`` (`storage`) when it exists but cannot be read.
    static func read(_ path: String) throws(AgentError) -> OutboxIdentity? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(OutboxIdentity.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw AgentError(.storage, "cannot read the outbox marker \(path): \(error); it records which outbox this data directory holds. If the outbox is intact, delete the marker and it is written again")
        }
    }

    /// Writes the marker to `path` in one step (mode 0600).
    func write(to path: String) throws(AgentError) {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
            _ = chmod(path, 0o600)
        } catch {
            throw AgentError(.storage, "cannot write the outbox marker \(path): \(error); check that the data directory is writable")
        }
    }

    /// What the marker says about the outbox, for refusals.
    var summary: String {
        func time(_ ms: Int64) -> String {
            ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(ms) / 1_000))
        }
        return "outbox \(outboxID) (created \(time(createdAt))); its last recorded state was \(pending) pending, \(inFlight) in flight, \(dead) dead, at \(time(recordedAt))"
    }
}
