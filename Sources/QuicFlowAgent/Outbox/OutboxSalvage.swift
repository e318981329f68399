/// What `quicflow-agent outbox salvage` saved from a damaged outbox.
public struct OutboxSalvage: Sendable, Hashable {
    /// Messages copied into the new outbox.
    public var saved: Int
    /// Messages the damaged file held that could not be read.
    public var lost: Int
    /// Whether `lost` comes from the file's own count (otherwise it counts
    /// the lookups that failed, a lower bound).
    public var lostCountKnown: Bool
    /// Where the damaged file was kept.
    public var damagedFile: String
}
