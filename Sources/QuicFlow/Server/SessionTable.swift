import QUICTransport

/// The live sessions of this node, by client id: the connections only this
/// process can use. What other nodes may read goes to the
/// ``ClientDirectory``; this table stays inside ``BackboneServer``.
struct SessionTable {
    private var records: [String: SessionRecord] = [:]

    /// The record of `clientID`, ending or not.
    subscript(_ clientID: String) -> SessionRecord? { records[clientID] }

    /// Sessions the server has not ended.
    var live: [SessionRecord] { records.values.filter { $0.endedBy == nil } }

    /// Every connection, ending ones included.
    var connections: [QUICConnection] { records.values.map(\.session.connection) }

    /// How many records there are (ending ones included).
    var count: Int { records.count }

    /// Whether `session` is the current one of its client id.
    func isCurrent(_ session: ClientSession) -> Bool {
        records[session.clientID]?.session === session
    }

    /// Makes `record` the client's session; returns the one it supersedes
    /// (marked `superseded`), whose connection the caller closes.
    mutating func insert(_ record: SessionRecord) -> SessionRecord? {
        let clientID = record.session.clientID
        var old = records[clientID]
        old?.endedBy = .superseded
        records[clientID] = record
        return old
    }

    /// Removes `session` if it is still the client's current one; returns
    /// its record.
    mutating func remove(_ session: ClientSession) -> SessionRecord? {
        guard isCurrent(session) else { return nil }
        return records.removeValue(forKey: session.clientID)
    }

    /// Records that writing `session`'s registration failed.
    mutating func presenceMissing(of session: ClientSession) {
        guard isCurrent(session) else { return }
        records[session.clientID]?.presence = .missing
    }

    /// Records the epoch of `session`'s registration. When a takeover notice
    /// with a newer epoch arrived while it was written, returns the record
    /// marked `superseded`, for the caller to close, and that epoch.
    mutating func recorded(_ epoch: Int64, of session: ClientSession) -> (record: SessionRecord, notice: Int64)? {
        guard isCurrent(session), let record = records[session.clientID] else { return nil }
        records[session.clientID]?.presence = .recorded(epoch: epoch)
        guard case .recording(let notice?) = record.presence, notice > epoch, record.endedBy == nil else { return nil }
        records[session.clientID]?.endedBy = .superseded
        return (record, notice)
    }

    /// Whether `session`'s registration must be written again (it failed);
    /// if so it is marked `recording`, so that one heartbeat writes it, not every one.
    mutating func takeMissingPresence(of session: ClientSession) -> Bool {
        guard isCurrent(session), records[session.clientID]?.presence == .missing else { return false }
        records[session.clientID]?.presence = .recording(notice: nil)
        return true
    }

    /// Marks the live session of `clientID` superseded when its epoch is
    /// below `epoch`; returns it, for the caller to close. While its own
    /// registration is still being written, the notice is kept for
    /// ``recorded(_:of:)``.
    mutating func supersede(_ clientID: String, below epoch: Int64) -> SessionRecord? {
        guard let record = records[clientID], record.endedBy == nil else { return nil }
        switch record.presence {
        case .recorded(let own) where own < epoch:
            records[clientID]?.endedBy = .superseded
            return record
        case .recording(let notice):
            records[clientID]?.presence = .recording(notice: max(notice ?? epoch, epoch))
            return nil
        case .recorded, .missing:
            return nil
        }
    }

    /// Notes that `session` was heard from.
    mutating func touch(_ session: ClientSession, at now: Duration, unixMilliseconds: Int64) {
        guard isCurrent(session) else { return }
        records[session.clientID]?.lastSeen = now
        records[session.clientID]?.lastHeartbeat = unixMilliseconds
    }

    /// Ends every live session silent for more than `timeout` at `now`,
    /// marking each `heartbeatTimeout`; returns them. A session silent for
    /// exactly `timeout` stays.
    mutating func endSilent(timeout: Duration, now: Duration) -> [SessionRecord] {
        let silent = records.values.filter { $0.endedBy == nil && now - $0.lastSeen > timeout }
        for record in silent { records[record.session.clientID]?.endedBy = .heartbeatTimeout }
        return silent
    }

    /// Marks every session as ended by `reason` (the server stopping).
    mutating func endAll(_ reason: DisconnectReason) {
        for id in records.keys { records[id]?.endedBy = reason }
    }
}
