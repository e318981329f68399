/// Where a message the admin API took is.
public enum MessageState: String, Sendable, Hashable, Codable {
    /// Waiting for its client to connect (store and forward).
    case queued
    /// Handed to the client; no ACK yet, or its ACK timed out and a late
    /// RESPONSE may still bring the result.
    case sent
    /// Acknowledged, or answered by a late RESPONSE: its status and result are known.
    case delivered
    /// Its time to live ran out before its client connected.
    case expired
}
