import GRDB
public import QuicFlowHooks

/// The `running_handlers` table: the process group of each handler the
/// agent is running, so that an agent restarting after a crash (kill -9, an
/// out-of-memory kill) can end the handlers its predecessor left running.
extension Outbox: HandlerGroupJournal {
    public func recordStarted(_ group: HandlerGroupRecord) async throws(AgentError) {
        try await write("record a running handler") { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO running_handlers (pgid, executable, started_at, boot_id, leader_start)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [group.pgid, group.executable, group.startedAt, group.bootID, Int64(bitPattern: group.leaderStartTicks)])
        }
    }

    public func recordEnded(_ group: HandlerGroupRecord) async throws(AgentError) {
        try await write("remove the record of a running handler") { db in
            try db.execute(
                sql: "DELETE FROM running_handlers WHERE pgid = ? AND boot_id = ? AND leader_start = ?",
                arguments: [group.pgid, group.bootID, Int64(bitPattern: group.leaderStartTicks)])
        }
    }

    public func recordedGroups() async throws(AgentError) -> [HandlerGroupRecord] {
        try await read("read the running handlers") { db in
            try Row.fetchAll(
                db, sql: "SELECT pgid, executable, started_at, boot_id, leader_start FROM running_handlers ORDER BY started_at"
            ).map { row in
                HandlerGroupRecord(
                    pgid: row["pgid"], executable: row["executable"], startedAt: row["started_at"], bootID: row["boot_id"],
                    leaderStartTicks: UInt64(bitPattern: row["leader_start"] as Int64))
            }
        }
    }
}
