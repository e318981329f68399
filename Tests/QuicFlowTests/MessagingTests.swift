import Foundation
import NIOCore
import QUICTransport
import QUICTestSupport
@testable import QuicFlow
import QuicFlowProtocol
import Synchronization
import Testing

@Suite("Messaging")
struct MessagingTests {
    @Test("acknowledgements with results in both directions")
    func acksBothWays() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration()) { server in
            await server.register(for: .event) { message in .success(text: "server saw \(message.text) from \(message.senderID)") }
        }
        let client = try await fixture.connectClient(try fixture.clientConfiguration("device-1"), port: port) { client in
            await client.register(for: .command) { message in .success(text: "ran \(message.text)") }
        }
        let toClient = try await server.send(Message(type: .command, text: "reboot", waitAck: true), to: "device-1")
        #expect(toClient == .success(text: "ran reboot"))
        let toServer = try await client.send(Message(type: .event, text: "booted", waitAck: true))
        #expect(toServer == .success(text: "server saw booted from device-1"))
        let info = try #require(await server.clientInfo("device-1"))
        #expect(info.clientID == "device-1")
        #expect(info.connectedAt > 0 && info.lastHeartbeat >= info.connectedAt)
        await client.disconnect()
        await server.stop()
    }

    @Test("a throwing handler answers FAILURE with its message; a missing handler is named")
    func failures() async throws {
        struct Broken: Error, CustomStringConvertible { var description: String { "disk on fire" } }
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration())
        let client = try await fixture.connectClient(try fixture.clientConfiguration("device-2"), port: port) { client in
            await client.register(for: .command) { _ in throw Broken() }
        }
        let thrown = try await server.send(Message(type: .command, text: "x", waitAck: true), to: "device-2")
        #expect(thrown.status == .failure)
        #expect(thrown.error == "disk on fire")
        let missing = try await server.send(Message(type: .query, text: "x", waitAck: true), to: "device-2")
        #expect(missing == .failure("no handler for query"))
        let serverMissing = try await client.send(Message(type: .query, text: "x", waitAck: true))
        #expect(serverMissing == .failure("no handler for query"))
        await client.disconnect()
        await server.stop()
    }

    @Test("a hanging handler yields TIMEOUT and frees its worker")
    func hangingHandler() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration())
        // 2 s, not 200 ms: a fresh-clone CI run took longer than 200 ms to run
        // even the quick handler while the parallel suite started.
        let client = try await fixture.connectClient(
            try fixture.clientConfiguration("device-3", dispatcherWorkers: 1, handlerTimeout: .seconds(2)), port: port
        ) { client in
            await client.register(for: .command) { message in
                if message.text == "hang" { try await Task.sleep(for: .seconds(3600)) }
                return .success(text: "quick")
            }
        }
        let hung = try await server.send(Message(type: .command, text: "hang", waitAck: true), to: "device-3")
        #expect(hung.status == .timeout)
        // The only worker is free again at once.
        let quick = try await server.send(Message(type: .command, text: "go", waitAck: true, timeout: .seconds(5)), to: "device-3")
        #expect(quick == .success(text: "quick"))
        await client.disconnect()
        await server.stop()
    }

    @Test("a full dispatcher queue answers FAILURE busy at once")
    func busy() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration())
        let (release, releaser) = AsyncStream.makeStream(of: Void.self)
        let gate = Gate(release)
        let client = try await fixture.connectClient(
            try fixture.clientConfiguration("device-4", dispatcherWorkers: 1, dispatcherQueueSize: 1), port: port
        ) { client in
            await client.register(for: .command) { _ in
                await gate.wait()
                return .success()
            }
        }
        // One runs, one waits in the queue, the rest are refused.
        let responses = try await withThrowingTaskGroup(of: Response.self) { group in
            for _ in 0..<4 {
                group.addTask { try await server.send(Message(type: .command, text: "work", waitAck: true), to: "device-4") }
            }
            var busy: [Response] = []
            for _ in 0..<2 { busy.append(try await group.next()!) }
            releaser.yield()
            releaser.yield()
            var all = busy
            for try await response in group { all.append(response) }
            return (busy, all)
        }
        #expect(responses.0.allSatisfy { $0.status == .failure && $0.error.hasPrefix("busy") })
        #expect(responses.1.filter { $0.status == .success }.count == 2)
        releaser.finish()
        await client.disconnect()
        await server.stop()
    }

    @Test("a broadcast reaches all 200 connected clients")
    func broadcastTo200() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration())
        let (received, receiver) = AsyncStream.makeStream(of: String.self)
        var clients: [BackboneClient] = []
        for i in 0..<200 {
            let id = "device-\(i)"
            clients.append(try await fixture.connectClient(try fixture.clientConfiguration(id), port: port) { client in
                await client.register(for: .event) { message in
                    receiver.yield("\(id):\(message.text)")
                    return .success()
                }
            })
        }
        #expect(await server.clients().count == 200)
        let reached = await server.broadcast(Message(type: .event, text: "firmware 2.0 available"))
        #expect(reached == 200)
        let seen = await collect(200, from: received, within: .seconds(30))
        #expect(seen.count == 200)
        #expect(Set(seen) == Set((0..<200).map { "device-\($0):firmware 2.0 available" }))
        for client in clients { await client.disconnect() }
        await server.stop()
    }

    @Test("10,000 sends that time out leave no promise behind")
    func timeoutsLeaveNothing() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration())
        // A client that registers and then never reads: no ACK ever comes.
        let silent = try await RawClient.connect(port: port, caFile: fixture.server.caFile)
        #expect(try await silent.register("silent")?.type == .pong)
        let outcomes = try await withThrowingTaskGroup(of: Response.Status.self) { group in
            var statuses: [Response.Status: Int] = [:]
            for batch in 0..<10 {
                for _ in 0..<1_000 {
                    group.addTask {
                        try await server.send(
                            Message(type: .command, text: "\(batch)", waitAck: true, timeout: .milliseconds(100)), to: "silent"
                        ).status
                    }
                }
                for _ in 0..<1_000 { statuses[try await group.next()!, default: 0] += 1 }
            }
            return statuses
        }
        #expect(outcomes == [.timeout: 10_000])
        #expect(await server.pendingAcknowledgements == 0)
        await silent.close()
        await server.stop()
    }

    @Test("past maxPromises, a waiting send fails at once with a clear error")
    func maxPromises() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration(maxPromises: 3))
        let silent = try await RawClient.connect(port: port, caFile: fixture.server.caFile)
        _ = try await silent.register("slow")
        let waiting = Task {
            try await withThrowingTaskGroup(of: Response.self) { group in
                for _ in 0..<3 {
                    group.addTask { try await server.send(Message(type: .command, text: "x", waitAck: true, timeout: .seconds(2)), to: "slow") }
                }
                return try await group.reduce(into: [Response]()) { $0.append($1) }
            }
        }
        try await eventually("three acknowledgements awaited") { await server.pendingAcknowledgements == 3 }
        let error = await #expect(throws: QuicFlowError.self) {
            try await server.send(Message(type: .command, text: "one too many", waitAck: true), to: "slow")
        }
        #expect(error?.code == .tooManyPromises)
        #expect(error?.message.contains("maxPromises") == true)
        #expect(await refusals(server, "max_promises") == 1)
        // Without waitAck no promise is needed.
        #expect(try await server.send(Message(type: .event, text: "fire and forget"), to: "slow").status == .success)
        _ = try await waiting.value
        await silent.close()
        await server.stop()
    }

    /// An EVENT a raw client sends with wait_ack, as an agent's outbox would.
    static func event(_ msgID: String, from sender: String, _ text: String) -> DataMessage {
        var data = DataMessage()
        data.msgID = msgID
        data.senderID = sender
        data.type = .event
        data.payload = Data(text.utf8)
        data.waitAck = true
        return data
    }

    @Test("a repeated msg_id is answered from the window without running the handler again")
    func deduplication() async throws {
        let fixture = try Fixture()
        let runs = Atomic<Int>(0)
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration()) { server in
            await server.register(for: .event) { _ in
                let n = runs.add(1, ordering: .relaxed).newValue
                return .success(text: "run \(n)")
            }
        }
        let raw = try await RawClient.connect(port: port, caFile: fixture.server.caFile)
        _ = try await raw.register("agent-9")
        let data = Self.event("outbox-row-17", from: "agent-9", "temperature 21")
        let first = try #require(try await raw.exchange(try Frame.data(data))).decodePayload()
        let second = try #require(try await raw.exchange(try Frame.data(data))).decodePayload()
        guard case .ack(let ack1) = first, case .ack(let ack2) = second else {
            Issue.record("expected two ACKs, got \(first) and \(second)")
            return
        }
        #expect(ack1.status == .success && String(decoding: ack1.result, as: UTF8.self) == "run 1")
        #expect(ack2 == ack1)
        #expect(runs.load(ordering: .relaxed) == 1)
        await raw.close()
        await server.stop()
    }

    @Test("a repeat of a msg_id whose first copy is still being handled waits for it: one handler run, the same ACK for both")
    func repeatWhileInFlight() async throws {
        let fixture = try Fixture()
        let runs = Atomic<Int>(0)
        let (started, startedSignal) = AsyncStream.makeStream(of: Void.self)
        let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
        let gate = Gate(release)
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration()) { server in
            await server.register(for: .event) { _ in
                let n = runs.add(1, ordering: .relaxed).newValue
                startedSignal.yield()
                await gate.wait()
                return .success(text: "run \(n)")
            }
        }
        let raw = try await RawClient.connect(port: port, caFile: fixture.server.caFile)
        _ = try await raw.register("agent-3")
        let data = Self.event("outbox-row-5", from: "agent-3", "reading")
        let frame = try Frame.data(data)
        let first = Task { try await raw.exchange(frame) }
        #expect(await collect(1, from: started, within: .seconds(10)).count == 1, "the first copy is being handled")
        let second = Task { try await raw.exchange(frame) }
        // The second copy reaches the server and waits for the first.
        try await eventually("the second copy to wait at the server") { await server.waitingCopies == 1 }
        releaseSignal.yield()
        let answers = try [await first.value, await second.value].map { try #require($0).decodePayload() }
        guard case .ack(let ack1) = answers[0], case .ack(let ack2) = answers[1] else {
            Issue.record("expected two ACKs, got \(answers)")
            return
        }
        #expect(ack1.status == .success && String(decoding: ack1.result, as: UTF8.self) == "run 1")
        #expect(ack2 == ack1)
        #expect(runs.load(ordering: .relaxed) == 1)
        await raw.close()
        await server.stop()
    }
}

/// Lets handlers wait until the test releases them, one release each.
final class Gate: Sendable {
    private let stream: AsyncStream<Void>
    init(_ stream: AsyncStream<Void>) { self.stream = stream }
    func wait() async {
        var iterator = stream.makeAsyncIterator()
        _ = await iterator.next()
    }
}

@Suite("Message size limits")
struct MessageSizeTests {
    @Test("maxMessageSize: too large to send fails at once; too large to receive is refused with FAILURE")
    func limits() async throws {
        let fixture = try Fixture()
        let configuration = try ServerConfiguration(
            host: "127.0.0.1", port: 0, certificateFile: fixture.server.certificateFile, keyFile: fixture.server.keyFile,
            maxMessageSize: 1_024)
        let (server, port) = try await fixture.startServer(configuration) { server in
            await server.register(for: .event) { _ in .success() }
        }
        let client = try await fixture.connectClient(try fixture.clientConfiguration("big"), port: port)
        // The server refuses to send what exceeds its own limit.
        let outgoing = await #expect(throws: QuicFlowError.self) {
            try await server.send(Message(type: .command, payload: [UInt8](repeating: 1, count: 2_000)), to: "big")
        }
        #expect(outgoing?.code == .messageTooLarge)
        // The client's limit is 1 MiB, so it sends 4 KiB; the server answers FAILURE.
        let response = try await client.send(Message(type: .event, payload: [UInt8](repeating: 2, count: 4_096), waitAck: true))
        #expect(response.status == .failure)
        #expect(response.error.contains("maxMessageSize"))
        #expect(await refusals(server, "max_message_size_outbound") == 1)
        #expect(await refusals(server, "max_message_size_inbound") == 1)
        // A client refuses to send more than its own limit (1 MiB).
        let tooBig = await #expect(throws: QuicFlowError.self) {
            try await client.send(Message(type: .event, payload: [UInt8](repeating: 3, count: (1 << 20) + 1)))
        }
        #expect(tooBig?.code == .messageTooLarge)
        await client.disconnect()
        await server.stop()
    }
}

@Suite("Lost acknowledgements")
struct LostAckTests {
    @Test("a response whose ACK cannot be written is handed to onAcknowledgementLost")
    func lostAck() async throws {
        let fixture = try Fixture()
        let (server, port) = try await fixture.startServer(try fixture.serverConfiguration())
        let (lost, report) = AsyncStream.makeStream(of: String.self)
        let client = try await fixture.connectClient(try fixture.clientConfiguration("late"), port: port) { client in
            await client.register(for: .command) { _ in
                // Well past the server's timeout, even on a loaded machine.
                try await Task.sleep(for: .seconds(4))
                return .success(text: "finally done")
            }
            var hooks = ClientEventHooks()
            hooks.onAcknowledgementLost = { message, response in report.yield("\(message.text) -> \(response.text)") }
            await client.setHooks(hooks)
        }
        // The server stops waiting (and stops reading the stream) first.
        // Long enough for the command to reach the client on a loaded machine.
        let response = try await server.send(Message(type: .command, text: "slow job", waitAck: true, timeout: .seconds(2)), to: "late")
        #expect(response.status == .timeout)
        #expect(await collect(1, from: lost, within: .seconds(20)) == ["slow job -> finally done"])
        await client.disconnect()
        await server.stop()
    }
}
