import QuicFlowConfigFile
import Foundation
import GRDB
public import QuicFlow
import QuicFlowTime

extension Outbox {
    /// How long a server command's outcome is remembered by msg_id.
    public static let commandResultWindow: Duration = .seconds(600)

    /// Records that the server command `msgID` is about to run, unless it
    /// was seen within `window`: then says how it ended (or that it never
    /// did). Entries older than `window` are forgotten on the way.
    ///
    /// The record is committed before the handler starts, so a repeat after
    /// a crash is recognised too: commands run at most once.
    public func claimCommand(
        msgID: String, window: Duration = Outbox.commandResultWindow, now: Int64? = nil
    ) async throws(AgentError) -> CommandClaim {
        let now = now ?? wallClock.unixMilliseconds()
        let cutoff = now - window.wholeMilliseconds
        let path = path
        return try await write("record a command") { db in
            try db.execute(sql: "DELETE FROM command_results WHERE started_at < ?", arguments: [cutoff])
            if let row = try Row.fetchOne(db, sql: """
                SELECT state, status, result, error, started_at FROM command_results WHERE msg_id = ?
                """, arguments: [msgID]) {
                let state: String = row["state"]
                guard state == "done" else {
                    return .interrupted(startedAt: row["started_at"])
                }
                let statusName: String? = row["status"]
                guard let statusName, let status = Response.Status(rawValue: statusName) else {
                    throw AgentError(.storage, "the outbox \(path) holds a command result with status \(statusName ?? "NULL") that this agent does not understand; upgrade the agent")
                }
                let result: Data? = row["result"]
                return .answered(Response(status: status, result: result.map { [UInt8]($0) } ?? [], error: row["error"]))
            }
            try db.execute(sql: """
                INSERT INTO command_results (msg_id, state, started_at) VALUES (?, 'running', ?)
                """, arguments: [msgID, now])
            return .run
        }
    }

    /// Stores how the server command `msgID` ended, for repeats within the
    /// window.
    public func finishCommand(
        msgID: String, response: Response, now: Int64? = nil
    ) async throws(AgentError) {
        let now = now ?? wallClock.unixMilliseconds()
        try await write("record a command's result") { db in
            try db.execute(sql: """
                INSERT INTO command_results (msg_id, state, status, result, error, started_at, finished_at)
                VALUES (?, 'done', ?, ?, ?, ?, ?)
                ON CONFLICT (msg_id) DO UPDATE SET state = 'done', status = excluded.status,
                    result = excluded.result, error = excluded.error, finished_at = excluded.finished_at
                """, arguments: [msgID, response.status.rawValue, Data(response.result), response.error, now, now])
        }
    }
}
