/// The process group of one running handler, as recorded so that an agent
/// restarting after a crash can end what its predecessor left running.
public struct HandlerGroupRecord: Sendable, Hashable {
    /// The group's id: the handler's pid (it leads its own session).
    public let pgid: Int32
    /// The handler's executable (``HandlerConfiguration/executable``).
    public let executable: String
    /// When the handler started, in Unix milliseconds.
    public let startedAt: Int64
    /// The boot the pid belongs to (`/proc/sys/kernel/random/boot_id`).
    public let bootID: String
    /// The handler's start time, field 22 of `/proc/PID/stat` (clock ticks
    /// since boot): with ``pgid`` and ``bootID`` it names one process, so a
    /// reused pid is never taken for the handler.
    public let leaderStartTicks: UInt64

    /// Creates a record.
    public init(pgid: Int32, executable: String, startedAt: Int64, bootID: String, leaderStartTicks: UInt64) {
        self.pgid = pgid
        self.executable = executable
        self.startedAt = startedAt
        self.bootID = bootID
        self.leaderStartTicks = leaderStartTicks
    }
}

/// Where ``HandlerRunner`` records the process group of each running handler
/// (the agent's outbox database): written when the handler has started,
/// removed once it has exited and its group has been dealt with.
public protocol HandlerGroupJournal: Sendable {
    /// Records a handler that has just started.
    func recordStarted(_ group: HandlerGroupRecord) async throws
    /// Removes the record of a handler whose run is over.
    func recordEnded(_ group: HandlerGroupRecord) async throws
    /// Every recorded group: at a start, those a previous agent left.
    func recordedGroups() async throws -> [HandlerGroupRecord]
}
