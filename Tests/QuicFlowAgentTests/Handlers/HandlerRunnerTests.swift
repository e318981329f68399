import Foundation
import QuicFlow
@testable import QuicFlowAgent
import Testing
import QuicFlowHooks
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Handler runner")
struct HandlerRunnerTests {
    let runner = HandlerRunner()

    // MARK: Input, environment, output

    @Test("the payload arrives on stdin and the QUICFLOW_ variables in the environment")
    func payloadAndEnvironment() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let spec = try HandlerConfiguration(
            executable: fixtures.path("echo-env.sh"), arguments: ["one", "two words"],
            environment: ["HANDLER_CUSTOM": "custom value", "QUICFLOW_CLIENT_ID": "spoofed"])

        let outcome = await runner.run(
            spec, message: HandlerFixtures.message("hello\nworld", msgID: "m-42", senderID: "srv"),
            clientID: "device-7", command: "reboot")

        #expect(outcome.status == .success)
        #expect(outcome.exitCode == 0)
        #expect(outcome.signal == nil)
        #expect(outcome.error == "")
        #expect(!outcome.truncated)
        let lines = String(decoding: outcome.result, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "args=one two words")
        #expect(lines.contains("msg_id=m-42"))
        #expect(lines.contains("msg_type=command"))
        #expect(lines.contains("sender_id=srv"))
        #expect(lines.contains("client_id=device-7"))
        #expect(lines.contains("command=reboot"))
        #expect(lines.contains("custom=custom value"))
        #expect(Array(lines.suffix(2)) == ["payload=hello", "world"])

        // Nothing of the agent's own environment leaks through besides
        // PATH, HOME and LANG (the shell itself may add PWD).
        let names = try #require(lines.first { $0.hasPrefix("names=") }).dropFirst("names=".count)
            .split(separator: " ").map(String.init)
        let allowed: Set<String> = [
            "PATH", "HOME", "LANG", "PWD", "HANDLER_CUSTOM", "QUICFLOW_MSG_ID", "QUICFLOW_MSG_TYPE",
            "QUICFLOW_SENDER_ID", "QUICFLOW_CLIENT_ID", "QUICFLOW_COMMAND",
        ]
        #expect(Set(names).isSubset(of: allowed), "unexpected variables: \(Set(names).subtracting(allowed))")
        #expect(names.contains("PATH"))
    }

    @Test("QUICFLOW_COMMAND is set only for named commands")
    func commandOnlyForNamedCommands() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let spec = try HandlerConfiguration(executable: fixtures.path("echo-env.sh"), environment: ["QUICFLOW_COMMAND": "fake"])

        let outcome = await runner.run(
            spec, message: HandlerFixtures.message("", type: .query), clientID: "device-7", command: nil)

        #expect(outcome.status == .success)
        let text = String(decoding: outcome.result, as: UTF8.self)
        #expect(text.contains("command=<unset>\n"))
        #expect(text.contains("msg_type=query\n"))
        #expect(text.hasSuffix("payload="))
    }

    @Test("shell metacharacters in a message reach the handler verbatim and run nothing")
    func metacharactersAreInert() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let marker = fixtures.path("pwned")
        let payload = "$(touch \(marker)); echo pwned `touch \(marker)` | rm -rf /tmp/x && ${HOME}"
        let msgID = "$(touch \(marker))"
        let spec = try HandlerConfiguration(executable: fixtures.path("echo-env.sh"), arguments: ["$(touch \(marker))"])

        let outcome = await runner.run(
            spec, message: HandlerFixtures.message(payload, msgID: msgID), clientID: "; touch \(marker)",
            command: "x; touch \(marker)")

        #expect(outcome.status == .success)
        let text = String(decoding: outcome.result, as: UTF8.self)
        #expect(text.hasSuffix("payload=" + payload))
        #expect(text.contains("msg_id=\(msgID)\n"))
        #expect(text.contains("args=$(touch \(marker))\n"))
        #expect(text.contains("client_id=; touch \(marker)\n"))
        #expect(!fixtures.exists("pwned"))
    }

    @Test("binary payloads reach the handler byte for byte")
    func binaryPayload() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let payload = (0..<4).flatMap { _ in (0...255).map(UInt8.init) }
        let message = IncomingMessage(msgID: "b", senderID: "s", type: .event, payload: payload, timestamp: 0)

        let outcome = await runner.run(
            try HandlerConfiguration(executable: fixtures.path("echo-env.sh")), message: message, clientID: "c", command: nil)

        #expect(outcome.status == .success)
        #expect(Array(outcome.result.suffix(payload.count)) == payload)
    }

    @Test("a handler that prints nothing and ignores its input succeeds with an empty result")
    func silentHandler() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        // A payload larger than a pipe holds: the handler exits without
        // reading it, so writing it fails (EPIPE) and must not hurt the agent.
        let payload = String(repeating: "p", count: 1 << 20)

        let outcome = await runner.run(
            try HandlerConfiguration(executable: fixtures.path("silent.sh")), message: HandlerFixtures.message(payload),
            clientID: "c", command: nil)

        #expect(outcome.status == .success)
        #expect(outcome.result.isEmpty)
        #expect(outcome.error == "")
        #expect(outcome.response == .success())
    }

    @Test("output past maxOutput is drained and reported while the handler still exits 0")
    func largeOutputIsTruncated() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }

        let outcome = await runner.run(
            try HandlerConfiguration(executable: fixtures.path("flood.sh")), message: HandlerFixtures.message(""), clientID: "c",
            command: nil)

        #expect(outcome.status == .success)
        #expect(outcome.exitCode == 0)
        #expect(outcome.truncated)
        #expect(outcome.result.count == 1_048_576)
        #expect(outcome.result.allSatisfy { $0 == UInt8(ascii: "x") })
        #expect(outcome.error == "output truncated at 1048576 bytes")
        let response = outcome.response
        #expect(response.status == .success)
        #expect(response.error == "output truncated at 1048576 bytes")
        #expect(response.result.count == 1_048_576)
    }

    // MARK: Failures

    @Test("a non-zero exit is FAILURE with the exit code and standard error")
    func nonZeroExit() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }

        let outcome = await runner.run(
            try HandlerConfiguration(executable: fixtures.path("fail.sh")), message: HandlerFixtures.message(""), clientID: "c",
            command: nil)

        #expect(outcome.status == .failure)
        #expect(outcome.exitCode == 3)
        #expect(outcome.signal == nil)
        #expect(outcome.error == "exit 3: something went wrong")
        #expect(String(decoding: outcome.result, as: UTF8.self) == "partial output\n")
        #expect(outcome.response.status == .failure)
        #expect(outcome.response.error == "exit 3: something went wrong")
    }

    @Test("only the last 1 KiB of standard error is kept")
    func standardErrorTail() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }

        let outcome = await runner.run(
            try HandlerConfiguration(executable: fixtures.path("fail.sh"), environment: ["FAIL_MODE": "long"]),
            message: HandlerFixtures.message(""), clientID: "c", command: nil)

        #expect(outcome.status == .failure)
        #expect(outcome.exitCode == 3)
        #expect(outcome.error.hasPrefix("exit 3: "))
        #expect(outcome.error.hasSuffix("the real reason\nsomething went wrong"))
        #expect(outcome.error.utf8.count <= "exit 3: ".utf8.count + 1024)
        #expect(outcome.error.utf8.count > "exit 3: ".utf8.count + 1000)
    }

    @Test("a handler killed by a signal is FAILURE naming the signal")
    func killedBySignal() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }

        let outcome = await runner.run(
            try HandlerConfiguration(executable: fixtures.path("fail.sh"), environment: ["FAIL_MODE": "signal"]),
            message: HandlerFixtures.message(""), clientID: "c", command: nil)

        #expect(outcome.status == .failure)
        #expect(outcome.signal == SIGTERM)
        #expect(outcome.exitCode == nil)
        #expect(outcome.error == "killed by signal \(SIGTERM)")
    }

    @Test("a missing executable is FAILURE naming the path")
    func missingExecutable() async throws {
        let path = "/nonexistent/quicflow/handler-\(UInt32.random(in: 0...UInt32.max))"
        let outcome = await runner.run(
            try HandlerConfiguration(executable: path), message: HandlerFixtures.message("x"), clientID: "c", command: nil)

        #expect(outcome.status == .failure)
        #expect(outcome.error.contains(path))
        #expect(outcome.error.contains("does not exist"))
        #expect(outcome.exitCode == nil)
    }

    @Test("a relative path is refused")
    func relativePath() {
        // Refused when the configuration is made, so the runner never sees one.
        let error = #expect(throws: HookError.self) {
            try HandlerConfiguration(executable: "bin/handler")
        }
        #expect(error?.message.contains("bin/handler") == true)
        #expect(error?.message.contains("not an absolute path") == true)
    }

    @Test("a file without execute permission is FAILURE naming the path")
    func notExecutable() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let path = try fixtures.copy("silent.sh", to: "plain.sh")
        try fixtures.chmod("plain.sh", 0o644)

        let outcome = await runner.run(
            try HandlerConfiguration(executable: path), message: HandlerFixtures.message("x"), clientID: "c", command: nil)

        #expect(outcome.status == .failure)
        #expect(outcome.error.contains(path))
        #expect(outcome.error.contains("not executable"))
    }

    @Test("a file the system cannot execute is FAILURE naming the path")
    func cannotExecute() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let path = fixtures.path("garbage")
        // Executable bits but neither a #! line nor a binary format.
        try Data([0x00, 0x01, 0x02, 0xFF]).write(to: URL(fileURLWithPath: path))
        try fixtures.chmod("garbage", 0o755)

        let outcome = await runner.run(
            try HandlerConfiguration(executable: path), message: HandlerFixtures.message("x"), clientID: "c", command: nil)

        #expect(outcome.status == .failure)
        #expect(outcome.error.hasPrefix("could not start handler \(path)"))
    }

    @Test("a directory is refused")
    func directory() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }

        let outcome = await runner.run(
            try HandlerConfiguration(executable: fixtures.directory), message: HandlerFixtures.message("x"), clientID: "c",
            command: nil)

        #expect(outcome.status == .failure)
        #expect(outcome.error.contains("not a regular file"))
    }

    // MARK: Security

    @Test("a world-writable handler is refused and not run")
    func worldWritableRefused() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let path = try fixtures.copy("counter.sh", to: "writable.sh")
        try fixtures.chmod("writable.sh", 0o777)

        let outcome = await runner.run(
            try HandlerConfiguration(executable: path, environment: ["LOG_FILE": fixtures.path("ran")]),
            message: HandlerFixtures.message("x"), clientID: "c", command: nil)

        #expect(outcome.status == .failure)
        #expect(outcome.error.contains(path))
        #expect(outcome.error.contains("world-writable"))
        #expect(!fixtures.exists("ran"))
    }

    @Test("a handler owned by another non-root user is refused", .enabled(if: geteuid() == 0))
    func foreignOwnerRefused() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let path = try fixtures.copy("counter.sh", to: "foreign.sh")
        #expect(chown(path, 65534, 65534) == 0)

        let outcome = await runner.run(
            try HandlerConfiguration(executable: path, environment: ["LOG_FILE": fixtures.path("ran")]),
            message: HandlerFixtures.message("x"), clientID: "c", command: nil)

        #expect(outcome.status == .failure)
        #expect(outcome.error.contains(path))
        #expect(outcome.error.contains("owned by another user (uid 65534)"))
        #expect(!fixtures.exists("ran"))
    }

    @Test("as root, `user` runs the handler as that user with only its groups", .enabled(if: geteuid() == 0))
    func runsAsUser() async throws {
        let ids = await runner.run(
            try HandlerConfiguration(executable: "/usr/bin/id", arguments: ["-u"], user: "nobody"),
            message: HandlerFixtures.message(""), clientID: "c", command: nil)
        let groups = await runner.run(
            try HandlerConfiguration(executable: "/usr/bin/id", arguments: ["-G"], user: "nobody"),
            message: HandlerFixtures.message(""), clientID: "c", command: nil)

        #expect(ids.status == .success)
        #expect(ids.response.text == "65534\n")
        #expect(groups.status == .success)
        #expect(!groups.response.text.split(separator: " ").contains("0"))
        #expect(groups.response.text == "65534\n")
    }

    @Test("an unknown user is FAILURE naming the user")
    func unknownUser() async throws {
        let outcome = await runner.run(
            try HandlerConfiguration(executable: "/usr/bin/id", user: "no-such-user-quicflow"),
            message: HandlerFixtures.message(""), clientID: "c", command: nil)

        #expect(outcome.status == .failure)
        #expect(outcome.error.contains("'no-such-user-quicflow'"))
    }

    // MARK: Timeouts

    @Test("a timeout stops the whole process group, grandchild included")
    func timeoutKillsProcessGroup() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let spec = try HandlerConfiguration(
            executable: fixtures.path("sleeper.sh"), timeout: .seconds(1),
            environment: ["PID_FILE": fixtures.path("grandchild.pid")])

        let outcome = await runner.run(spec, message: HandlerFixtures.message(""), clientID: "c", command: nil)

        #expect(outcome.status == .timeout)
        #expect(outcome.error == "handler timed out after 1s")
        #expect(outcome.signal == SIGTERM)
        #expect(outcome.duration >= .seconds(1))
        #expect(outcome.duration < .seconds(10))
        #expect(String(decoding: outcome.result, as: UTF8.self) == "started\n")
        #expect(outcome.response.status == .timeout)
        let pid = try #require(fixtures.read("grandchild.pid").flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        #expect(try await HandlerFixtures.wait(upTo: .seconds(5)) { HandlerFixtures.hasEnded(pid) })
    }

    @Test("a grandchild that ignores SIGTERM is SIGKILLed after the grace period")
    func timeoutKillsStubbornGrandchild() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let spec = try HandlerConfiguration(
            executable: fixtures.path("sleeper.sh"), timeout: .milliseconds(500),
            environment: ["PID_FILE": fixtures.path("grandchild.pid"), "IGNORE_TERM": "child"])

        let outcome = await runner.run(spec, message: HandlerFixtures.message(""), clientID: "c", command: nil)

        #expect(outcome.status == .timeout)
        #expect(outcome.error == "handler timed out after 500ms")
        let pid = try #require(fixtures.read("grandchild.pid").flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        #expect(try await HandlerFixtures.wait(upTo: .seconds(8)) { HandlerFixtures.hasEnded(pid) })
    }

    @Test("a handler that ignores SIGTERM is SIGKILLed after the grace period")
    func timeoutKillsStubbornHandler() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let spec = try HandlerConfiguration(
            executable: fixtures.path("sleeper.sh"), timeout: .milliseconds(500),
            environment: ["PID_FILE": fixtures.path("grandchild.pid"), "IGNORE_TERM": "all"])

        let outcome = await runner.run(spec, message: HandlerFixtures.message(""), clientID: "c", command: nil)

        #expect(outcome.status == .timeout)
        #expect(outcome.signal == SIGKILL)
        #expect(outcome.duration >= .milliseconds(2400))
        #expect(outcome.duration < .seconds(10))
        let pid = try #require(fixtures.read("grandchild.pid").flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        #expect(try await HandlerFixtures.wait(upTo: .seconds(5)) { HandlerFixtures.hasEnded(pid) })
    }

    @Test("cancelling the caller stops the handler's group and answers FAILURE")
    func cancellationStopsHandler() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let spec = try HandlerConfiguration(
            executable: fixtures.path("sleeper.sh"), timeout: .seconds(60),
            environment: ["PID_FILE": fixtures.path("grandchild.pid")])
        let runner = self.runner

        let task = Task { await runner.run(spec, message: HandlerFixtures.message(""), clientID: "c", command: nil) }
        #expect(try await HandlerFixtures.wait(upTo: .seconds(10)) { fixtures.exists("grandchild.pid") })
        task.cancel()
        let outcome = await task.value

        #expect(outcome.status == .failure)
        #expect(outcome.error == "handler run cancelled")
        #expect(outcome.duration < .seconds(10))
        let pid = try #require(fixtures.read("grandchild.pid").flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        #expect(try await HandlerFixtures.wait(upTo: .seconds(5)) { HandlerFixtures.hasEnded(pid) })
    }

    @Test("cancelling the caller also SIGKILLs a grandchild that ignores SIGTERM")
    func cancellationKillsStubbornGrandchild() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let spec = try HandlerConfiguration(
            executable: fixtures.path("sleeper.sh"), timeout: .seconds(60),
            environment: ["PID_FILE": fixtures.path("grandchild.pid"), "IGNORE_TERM": "child"])
        let runner = self.runner

        let task = Task { await runner.run(spec, message: HandlerFixtures.message(""), clientID: "c", command: nil) }
        #expect(try await HandlerFixtures.wait(upTo: .seconds(10)) { fixtures.exists("grandchild.pid") })
        task.cancel()
        let outcome = await task.value

        #expect(outcome.status == .failure)
        #expect(outcome.error == "handler run cancelled")
        let pid = try #require(fixtures.read("grandchild.pid").flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        #expect(try await HandlerFixtures.wait(upTo: .seconds(8)) { HandlerFixtures.hasEnded(pid) })
    }

    @Test("a handler that exits while its background child holds stdout open answers at once")
    func backgroundChildDoesNotHoldTheAnswer() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        // Kept (kill_leftovers = false), so that the answer cannot have waited for its end.
        let spec = try HandlerConfiguration(
            executable: fixtures.path("sleeper.sh"), timeout: .seconds(20),
            environment: ["PID_FILE": fixtures.path("grandchild.pid"), "EXIT_AT_ONCE": "1"], killLeftovers: false)

        let outcome = await runner.run(spec, message: HandlerFixtures.message(""), clientID: "c", command: nil)

        let pid = try #require(fixtures.read("grandchild.pid").flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        // Left alone as asked; clean up here.
        #expect(!HandlerFixtures.hasEnded(pid))
        kill(pid, SIGKILL)
        #expect(outcome.status == .success)
        #expect(String(decoding: outcome.result, as: UTF8.self) == "started\n")
        #expect(outcome.duration < .seconds(10))
    }

    // MARK: Concurrency

    @Test("no more than `concurrency` runs of a handler happen at once")
    func concurrencyLimit() async throws {
        let fixtures = try HandlerFixtures()
        defer { fixtures.remove() }
        let spec = try HandlerConfiguration(
            executable: fixtures.path("counter.sh"), concurrency: 2, environment: ["LOG_FILE": fixtures.path("log")])
        let runner = self.runner

        let outcomes = await withTaskGroup(of: HandlerOutcome.self, returning: [HandlerOutcome].self) { group in
            for index in 0..<5 {
                group.addTask {
                    await runner.run(
                        spec, message: HandlerFixtures.message("", msgID: "m\(index)"), clientID: "c", command: nil)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }

        #expect(outcomes.count == 5)
        #expect(outcomes.allSatisfy { $0.status == .success })
        let events = try #require(fixtures.read("log")).split(separator: "\n")
        #expect(events.count == 10)
        var running = 0
        var most = 0
        for event in events {
            running += event == "+" ? 1 : -1
            most = max(most, running)
        }
        #expect(most == 2)
    }

    @Test("waiting runs get their turn in arrival order")
    func limiterIsFIFO() async throws {
        let limiter = HandlerConcurrencyLimiter()
        try await limiter.acquire("h", limit: 1)
        let order = OrderLog()
        var waiters: [Task<Void, any Error>] = []
        for index in 0..<4 {
            waiters.append(
                Task {
                    try await limiter.acquire("h", limit: 1)
                    await order.append(index)
                    await limiter.release("h")
                })
            // Let each waiter queue up before the next one starts.
            while await limiter.waiting("h") < index + 1 { await Task.yield() }
        }
        await limiter.release("h")
        for waiter in waiters { try await waiter.value }
        #expect(await order.values == [0, 1, 2, 3])
        #expect(await limiter.running("h") == 0)
    }

    @Test("a cancelled waiter leaves the queue without taking a slot")
    func limiterCancellation() async throws {
        let limiter = HandlerConcurrencyLimiter()
        try await limiter.acquire("h", limit: 1)
        let waiter = Task { try await limiter.acquire("h", limit: 1) }
        while await limiter.waiting("h") < 1 { await Task.yield() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(await limiter.waiting("h") == 0)
        await limiter.release("h")
        #expect(await limiter.running("h") == 0)
    }

    // MARK: Formatting

    @Test("timeouts are described in seconds or milliseconds")
    func describeDuration() {
        #expect(HandlerRunner.describe(.seconds(30)) == "30s")
        #expect(HandlerRunner.describe(.milliseconds(500)) == "500ms")
        #expect(HandlerRunner.describe(.milliseconds(1500)) == "1500ms")
    }

    @Test("an outcome becomes the matching response")
    func outcomeResponse() {
        let outcome = HandlerOutcome(status: .timeout, result: [1, 2], error: "handler timed out after 30s")
        #expect(outcome.response == Response(status: .timeout, result: [1, 2], error: "handler timed out after 30s"))
    }
}

/// Records the order in which tasks got through.
private actor OrderLog {
    private(set) var values: [Int] = []
    func append(_ value: Int) { values.append(value) }
}
