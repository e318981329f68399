import Foundation
import QUICTestSupport
import Logging
import QuicFlow
@testable import QuicFlowAgent
import Synchronization
import Testing
import QuicFlowTime
import QuicFlowHooks
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Handler leftovers")
struct HandlerLeftoverTests {
    /// The pids `leftovers.sh` wrote: the handler's (its group's id) and the
    /// process it left behind.
    static func pids(_ fixtures: HandlerFixtures) throws -> (handler: pid_t, child: pid_t) {
        let text = try #require(fixtures.read("pids"), "the handler wrote no pid file")
        let numbers = text.split(whereSeparator: \.isWhitespace).compactMap { pid_t($0) }
        try #require(numbers.count == 2, "pid file: \(text)")
        return (numbers[0], numbers[1])
    }

    /// Ends `pid` if a failed test left it running.
    static func cleanUp(_ pid: pid_t) {
        if !HandlerFixtures.hasEnded(pid) { kill(pid, SIGKILL) }
    }

    static func spec(
        _ fixtures: HandlerFixtures, mode: String = "background", stay: Bool = false, killLeftovers: Bool = true,
        timeout: Duration = .seconds(30)
    ) throws -> HandlerConfiguration {
        var environment = ["PID_FILE": fixtures.path("pids"), "MODE": mode]
        if stay { environment["STAY"] = "1" }
        return try HandlerConfiguration(
            executable: fixtures.path("leftovers.sh"), timeout: timeout, environment: environment,
            killLeftovers: killLeftovers)
    }

    // MARK: Ending the group at exit

    @Test("a background child the handler leaves behind is ended before the answer, and the count is logged")
    func backgroundChildIsEnded() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let logs = RecordingLogHandler.Store()
        let runner = HandlerRunner(logger: RecordingLogHandler.logger("handlers", into: logs))

        let outcome = await runner.run(try Self.spec(fixtures), message: HandlerFixtures.message(""), clientID: "c", command: nil)

        let (handler, child) = try Self.pids(fixtures)
        defer { Self.cleanUp(child) }
        #expect(outcome.status == .success)
        #expect(String(decoding: outcome.result, as: UTF8.self) == "left\n")
        #expect(HandlerFixtures.hasEnded(child), "the background sleep \(child) outlived handler \(handler)")
        #expect(logs.all.contains { $0.level == .notice && $0.message == "ended 1 process that the handler left behind" })
    }

    @Test("with kill_leftovers = false the background child keeps running")
    func keptWhenAsked() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let logs = RecordingLogHandler.Store()
        let runner = HandlerRunner(logger: RecordingLogHandler.logger("handlers", into: logs))

        let outcome = await runner.run(
            try Self.spec(fixtures, killLeftovers: false), message: HandlerFixtures.message(""), clientID: "c", command: nil)

        let (_, child) = try Self.pids(fixtures)
        defer { Self.cleanUp(child) }
        #expect(outcome.status == .success)
        #expect(!HandlerFixtures.hasEnded(child))
        #expect(!logs.all.contains { $0.message.hasPrefix("ended") })
    }

    @Test("a leftover that ignores SIGTERM gets SIGKILL after the grace period; the run's duration is the handler's own")
    func stubbornLeftoverIsKilled() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        // Exits at once, leaving a grandchild that ignores SIGTERM. The 3 s
        // timeout (shorter than this runner's 5 s grace, and long enough for
        // a slow start under load) passes while the grandchild is being
        // stopped: the handler itself was on time, so the answer is still
        // SUCCESS.
        let grace: Duration = .seconds(5)
        let spec = try HandlerConfiguration(
            executable: fixtures.path("sleeper.sh"), timeout: .seconds(3),
            environment: ["PID_FILE": fixtures.path("grandchild.pid"), "IGNORE_TERM": "child", "EXIT_AT_ONCE": "1"])
        let clock = ContinuousClock()
        let start = clock.now

        let outcome = await HandlerRunner(killGrace: grace).run(spec, message: HandlerFixtures.message(""), clientID: "c", command: nil)

        let elapsed = start.duration(to: clock.now)
        let pid = try #require(fixtures.read("grandchild.pid").flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        defer { Self.cleanUp(pid) }
        #expect(outcome.status == .success, "\(outcome.error)")
        #expect(HandlerFixtures.hasEnded(pid))
        #expect(elapsed >= grace)
        // The handler's own time: the grace spent on its leftover is not in it
        // (a bound that holds however slow the machine is).
        #expect(outcome.duration <= elapsed - grace, "\(outcome.duration) of \(elapsed)")
    }

    // MARK: The journal

    @Test("the journal holds a running handler's group (pgid, start time, boot) until its run is over")
    func journalRecordsRunningGroups() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let journal = MemoryJournal()
        let runner = HandlerRunner(journal: journal)
        let spec = try Self.spec(fixtures, stay: true, timeout: .seconds(60))

        let run = Task { await runner.run(spec, message: HandlerFixtures.message(""), clientID: "c", command: nil) }
        let pidFile = fixtures.path("pids")
        try await eventually("the handler to start") { FileManager.default.fileExists(atPath: pidFile) }
        let (handler, child) = try Self.pids(fixtures)
        defer {
            Self.cleanUp(child)
            Self.cleanUp(handler)
        }
        try await eventually("the group to be recorded") { !journal.stored.isEmpty }
        let record = try #require(journal.stored.first)
        #expect(record.pgid == handler)
        #expect(record.executable == spec.executable)
        #expect(record.bootID == ProcessTable.bootID())
        #expect(record.leaderStartTicks == ProcessTable.entry(handler)?.startTicks)
        #expect(abs(record.startedAt - WallClock.system.unixMilliseconds()) < 60_000)

        run.cancel()
        let outcome = await run.value
        #expect(outcome.status == .failure)
        #expect(journal.stored.isEmpty)
        #expect(journal.ended == [record])
        #expect(HandlerFixtures.hasEnded(child))
    }

    @Test("at a start, a recorded group whose leader is still the recorded process is ended; any other record is only forgotten")
    func endsGroupsLeftRunning() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        // The "crashed agent": a run whose group outlives it.
        let first = MemoryJournal()
        let spec = try Self.spec(fixtures, stay: true, killLeftovers: false, timeout: .seconds(60))
        let runner = HandlerRunner(journal: first)
        let run = Task { await runner.run(spec, message: HandlerFixtures.message(""), clientID: "c", command: nil) }
        let pidFile = fixtures.path("pids")
        try await eventually("the handler to start") { FileManager.default.fileExists(atPath: pidFile) }
        let (handler, child) = try Self.pids(fixtures)
        defer {
            Self.cleanUp(child)
            Self.cleanUp(handler)
        }
        try await eventually("the group to be recorded") { !first.stored.isEmpty }
        let record = try #require(first.stored.first)

        // Another process now has the pid (other start time), or another boot: left alone.
        let stale = MemoryJournal([
            HandlerGroupRecord(
                pgid: record.pgid, executable: "/reused", startedAt: record.startedAt, bootID: record.bootID,
                leaderStartTicks: record.leaderStartTicks + 1),
            HandlerGroupRecord(
                pgid: record.pgid, executable: "/other-boot", startedAt: record.startedAt, bootID: "another-boot",
                leaderStartTicks: record.leaderStartTicks),
        ])
        let staleLogs = RecordingLogHandler.Store()
        await HandlerRunner(logger: RecordingLogHandler.logger("agent", into: staleLogs), journal: stale).endGroupsLeftRunning()
        #expect(stale.stored.isEmpty)
        #expect(!HandlerFixtures.hasEnded(handler))
        #expect(!HandlerFixtures.hasEnded(child))
        #expect(staleLogs.all.isEmpty)

        // The restarted agent's journal holds the real record.
        let logs = RecordingLogHandler.Store()
        let restarted = MemoryJournal([record])
        await HandlerRunner(logger: RecordingLogHandler.logger("agent", into: logs), journal: restarted).endGroupsLeftRunning()
        #expect(restarted.stored.isEmpty)
        #expect(HandlerFixtures.hasEnded(handler))
        #expect(HandlerFixtures.hasEnded(child))
        let warning = try #require(logs.all.first { $0.level == .warning })
        #expect(warning.message == "ended handler process group \(handler) (\(spec.executable)), left running by the previous agent: 2 processes")
        let outcome = await run.value
        #expect(outcome.signal == SIGTERM)
    }

    @Test("the outbox database keeps the journal: insert, list in start order, remove only the matching record")
    func outboxJournal() async throws {
        let directory = try TemporaryDirectory()
        let outbox = try Outbox(path: directory.file("outbox.sqlite"))
        let old = HandlerGroupRecord(pgid: 41, executable: "/a", startedAt: 1_000, bootID: "b", leaderStartTicks: UInt64.max - 1)
        let new = HandlerGroupRecord(pgid: 42, executable: "/b", startedAt: 2_000, bootID: "b", leaderStartTicks: 7)
        try await outbox.recordStarted(new)
        try await outbox.recordStarted(old)
        #expect(try await outbox.recordedGroups() == [old, new])

        try await outbox.recordEnded(
            HandlerGroupRecord(pgid: 42, executable: "/b", startedAt: 2_000, bootID: "b", leaderStartTicks: 8))
        #expect(try await outbox.recordedGroups() == [old, new])
        try await outbox.recordEnded(new)
        #expect(try await outbox.recordedGroups() == [old])
        try outbox.close()

        let reopened = try Outbox(path: directory.file("outbox.sqlite"))
        #expect(try await reopened.recordedGroups() == [old])
        try reopened.close()
    }

    // MARK: Pieces

    @Test("a /proc/PID/stat line is read past a command name holding spaces and parentheses")
    func parsesStatLines() throws {
        let line = "4242 (we(ird) na)me) S 17 4242 4240 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 200\n"
        let entry = try #require(ProcessTable.parse(line))
        #expect(entry.pid == 4242)
        #expect(entry.state == UInt8(ascii: "S"))
        #expect(entry.parent == 17)
        #expect(entry.group == 4242)
        #expect(entry.session == 4240)
        #expect(entry.startTicks == 987654)
        #expect(!entry.isZombie)
        #expect(ProcessTable.parse("4242 (short) Z 1 2") == nil)

        #if os(Linux)
        let me = try #require(ProcessTable.entry(getpid()))
        #expect(me.parent == getppid())
        #expect(me.group == getpgrp())
        #expect(me.session == getsid(0))
        let now = try #require(ProcessTable.nowTicks())
        #expect(me.startTicks <= now)
        #expect(ProcessTable.all().contains { $0.pid == getpid() })
        #endif
    }

    @Test("kill_leftovers is read as true or false, defaults to true and is reported when it is anything else")
    func configurationKey() throws {
        let server = "[server]\naddress = \"backbone.example.com:8474\"\n"
        let plain = try AgentConfiguration(toml: server + "[handlers.command]\nexec = \"/x\"", path: "agent.conf")
        #expect(plain.handlers.command?.killLeftovers == true)
        let kept = try AgentConfiguration(toml: server + "[commands.start-helper]\nexec = \"/x\"\nkill_leftovers = false", path: "agent.conf")
        #expect(kept.commands["start-helper"]?.killLeftovers == false)
        #expect(kept.commands["start-helper"]?.adding(environment: ["A": "b"]).killLeftovers == false)

        let error = #expect(throws: AgentError.self) {
            try AgentConfiguration(toml: server + "[handlers.query]\nexec = \"/x\"\nkill_leftovers = \"yes\"", path: "agent.conf")
        }
        #expect(error?.message.hasSuffix("handlers.query.kill_leftovers: expected true or false, got string \"yes\"") == true)
        let typo = #expect(throws: AgentError.self) {
            try AgentConfiguration(toml: server + "[handlers.query]\nexec = \"/x\"\nkill_leftover = false", path: "agent.conf")
        }
        #expect(typo?.message.hasSuffix("handlers.query.kill_leftover: unknown key; did you mean kill_leftovers?") == true)
    }
}

/// A ``HandlerGroupJournal`` in memory.
final class MemoryJournal: HandlerGroupJournal {
    private let state: Mutex<(stored: [HandlerGroupRecord], ended: [HandlerGroupRecord])>

    init(_ records: [HandlerGroupRecord] = []) {
        state = Mutex((records, []))
    }

    var stored: [HandlerGroupRecord] { state.withLock { $0.stored } }
    var ended: [HandlerGroupRecord] { state.withLock { $0.ended } }

    func recordStarted(_ group: HandlerGroupRecord) async throws(AgentError) {
        state.withLock { $0.stored.append(group) }
    }

    func recordEnded(_ group: HandlerGroupRecord) async throws(AgentError) {
        state.withLock { state in
            state.ended.append(group)
            state.stored.removeAll { $0 == group }
        }
    }

    func recordedGroups() async throws(AgentError) -> [HandlerGroupRecord] {
        stored
    }
}
