import Foundation
import Synchronization
import NIOCore
import QUICTestSupport
@testable import QUICTransport
import QuicFlow
import QuicFlowProtocol
import Testing

/// Attacks on a real `quicflow-server` process. Each measures the server's
/// RSS from /proc while a well-behaved device keeps getting its commands.
@Suite("Hostile input against quicflow-server", .serialized, .timeLimit(.minutes(2)))
struct HostileInputTests {
    @Test("random, truncated and forged datagrams: dropped and counted, no state kept, the device still served", arguments: [false, true])
    func datagrams(retry: Bool) async throws {
        let harness = try ServerHarness()
        let server = try await ServerProcess.start(
            harness, server: "retry = \(retry)\nmax_handshakes_per_address = 32")
        defer { server.stop() }
        let device = try await harness.device("device-1")
        try await harness.connect(device)
        #expect(try await server.command("device-1", "before") == "ran before")
        let baseline = try server.residentKiB()

        // From 127.0.0.2: the device on 127.0.0.1 is another address.
        var flood = try await DatagramFlood(from: "127.0.0.2", to: try SocketAddress(ipAddress: "127.0.0.1", port: harness.quicPort))
        for kind in DatagramFlood.Kind.allCases {
            try await flood.send(kind, count: 5_000)
        }
        await flood.close()
        // The flood is only in the server's socket buffer until the server
        // says it has read it: wait for its counters, then check the device.
        try await eventually("the server to count the dropped datagrams") {
            try await server.metric("quicflow_transport_datagrams_dropped_total") >= 5_000
        }
        #expect(try await server.command("device-1", "after") == "ran after")
        let inProgress = try await server.metric("quicflow_transport_handshakes_in_progress")
        let peak = try server.residentKiB()
        if retry {
            #expect(try await server.metric("quicflow_transport_retries_sent_total") >= 4_000, "forged Initials got a stateless Retry")
        }
        // Undecryptable Initials end their connection at once.
        #expect(inProgress == 0)
        #expect(try await server.metric("quicflow_transport_connections") == 1)
        #expect(peak - baseline < 64 * 1024, "RSS grew \(peak - baseline) KiB")
        print("hostile datagrams (retry \(retry)): 20,000 sent; RSS \(baseline) -> \(peak) KiB; \(Int(inProgress)) half-open handshakes held")
        await device.disconnect()
    }

    @Test("frames declaring 4 GiB, 1,000 streams that never finish, a client that never reads: bounded memory, others served")
    func streams() async throws {
        let harness = try ServerHarness()
        let server = try await ServerProcess.start(harness)
        defer { server.stop() }
        let device = try await harness.device("device-1")
        try await harness.connect(device)
        let baseline = try server.residentKiB()

        // 1. 100 frames whose prefix declares 4 GiB - 1: each stream is reset with code 6 at once.
        let liar = try await RawClient.connect(port: harness.quicPort, caFile: harness.files.caFile)
        #expect(try await liar.register("liar") != nil)
        let resets = try await withThrowingTaskGroup(of: UInt64?.self) { group in
            for _ in 0..<100 {
                group.addTask {
                    let stream = try await liar.connection.openStream()
                    try? await stream.write(ByteBuffer(bytes: [0xff, 0xff, 0xff, 0xff] + [UInt8](repeating: 0xab, count: 1_000)))
                    do {
                        _ = try await stream.readAll(maxBytes: 1 << 20)
                        return nil
                    } catch let error as QUICError {
                        return error.applicationErrorCode
                    }
                }
            }
            return try await group.reduce(into: [UInt64?]()) { $0.append($1) }
        }
        #expect(resets.allSatisfy { $0 == 6 }, "\(Set(resets.map { "\($0 as Any)" }))")
        #expect(try await server.command("device-1", "after liar") == "ran after liar")

        // 2. 1,000 streams with one byte each and no FIN: the stream limit holds them.
        let stuck = try await RawClient.connect(port: harness.quicPort, caFile: harness.files.caFile)
        #expect(try await stuck.register("stuck") != nil)
        let openers = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<1_000 {
                    group.addTask {
                        guard let stream = try? await stuck.connection.openStream() else { return }
                        try? await stream.write(ByteBuffer(bytes: [0]))
                    }
                }
            }
        }
        await openers.value
        try await eventually("the server to have every byte of them") {
            await stuck.connection.statistics()?.bytesInFlight == 0
        }
        #expect(try await server.command("device-1", "after stuck") == "ran after stuck")

        // 3. A client that registers and never reads: commands to it time out, and nothing piles up.
        let deaf = try await RawClient.connect(port: harness.quicPort, caFile: harness.files.caFile)
        #expect(try await deaf.register("deaf") != nil)
        let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<200 {
                group.addTask { try await server.command("deaf", "hello \(i)", timeoutMilliseconds: 1_000) }
            }
            return try await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
        }
        #expect(outcomes == ["timeout": 200])
        try await eventually("no acknowledgement left outstanding") {
            try await server.metric("quicflow_promises_active") == 0
        }
        #expect(try await server.command("device-1", "after deaf") == "ran after deaf")

        let peak = try server.residentKiB()
        #expect(peak - baseline < 64 * 1024, "RSS grew \(peak - baseline) KiB")
        print("hostile streams: RSS \(baseline) -> \(peak) KiB after 100 4-GiB frames, 1,000 unfinished streams, 200 commands to a deaf client")
        await liar.close()
        await stuck.close()
        await deaf.close()
        await device.disconnect()
    }

    @Test("200 connections that never register are closed with code 1 at the 10 s registration timeout, and counted")
    func neverRegister() async throws {
        let harness = try ServerHarness()
        let server = try await ServerProcess.start(harness)
        defer { server.stop() }
        let device = try await harness.device("device-1")
        try await harness.connect(device)
        let baseline = try server.residentKiB()

        let endpoint = try await QUICEndpoint.client(configuration: QUICEndpointConfiguration(
            tls: .client(trustRoots: .file(harness.files.caFile), applicationProtocols: ["quic-backbone-v1"])))
        let peak = Mutex(0)
        // Each connection's life, from its handshake to the server's close.
        let lives = try await withThrowingTaskGroup(of: (UInt64?, Duration).self) { group in
            for _ in 0..<200 {
                group.addTask {
                    let connection = try await endpoint.connect(host: "127.0.0.1", port: harness.quicPort, serverName: "localhost")
                    let connected = ContinuousClock.now
                    let reason = await connection.closeReason
                    let life = ContinuousClock.now - connected
                    if case .application(let code, _, byPeer: true) = reason { return (code, life) }
                    return (nil, life)
                }
            }
            try await eventually("all 200 to be connected and waiting") {
                try await server.metric("quicflow_transport_connections") >= 201
            }
            peak.withLock { $0 = (try? server.residentKiB()) ?? 0 }
            #expect(try await server.command("device-1", "meanwhile") == "ran meanwhile")
            return try await group.reduce(into: [(UInt64?, Duration)]()) { $0.append($1) }
        }
        #expect(lives.allSatisfy { $0.0 == 1 }, "closed with code 1")
        let shortest = lives.map(\.1).min() ?? .zero
        let longest = lives.map(\.1).max() ?? .zero
        // The client sees its handshake confirmed a little after the server starts the clock.
        #expect(shortest >= .seconds(8) && longest < .seconds(15), "lives \(shortest) ... \(longest)")
        #expect(try await server.metric(#"quicflow_limit_refusals_total{limit="registration_timeout"}"#) == 200)
        let rss = peak.withLock { $0 }
        #expect(rss - baseline < 64 * 1024, "RSS grew \(rss - baseline) KiB")
        #expect(try await server.command("device-1", "after") == "ran after")
        print("never registering: 200 connections closed after \(shortest) ... \(longest); RSS \(baseline) -> \(rss) KiB at their peak")
        await endpoint.close()
        await device.disconnect()
    }

    @Test("a handshake flood from one address: at most max_handshakes_per_address in progress, memory bounded, the device still served")
    func handshakeFlood() async throws {
        let harness = try ServerHarness()
        let server = try await ServerProcess.start(harness, server: "max_handshakes_per_address = 8")
        defer { server.stop() }
        let device = try await harness.device("device-1")
        try await harness.connect(device)
        let baseline = try server.residentKiB()

        // 100 connects at once from 127.0.0.2, spread over 4 sockets. The
        // ones held back retransmit their Initial (1 s, 2 s, 4 s...) and get
        // in, or give up at their 10 s handshake timeout with a clear error.
        var endpoints: [QUICEndpoint] = []
        for _ in 0..<4 {
            endpoints.append(try await QUICEndpoint.client(host: "127.0.0.2", configuration: QUICEndpointConfiguration(
                tls: .client(trustRoots: .file(harness.files.caFile), applicationProtocols: ["quic-backbone-v1"]))))
        }
        let sockets = endpoints
        let highest = Mutex(0.0)
        let sampler = Task {
            while !Task.isCancelled {
                let now = (try? await server.metric("quicflow_transport_handshakes_in_progress")) ?? 0
                highest.withLock { $0 = max($0, now) }
            }
        }
        let outcomes = await withTaskGroup(of: Result<QUICConnection, any Error>.self) { group in
            for index in 0..<100 {
                group.addTask {
                    do {
                        return .success(try await sockets[index % sockets.count].connect(
                            host: "127.0.0.1", port: harness.quicPort, serverName: "localhost"))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            return await group.reduce(into: [Result<QUICConnection, any Error>]()) { $0.append($1) }
        }
        sampler.cancel()
        let connections = outcomes.compactMap { try? $0.get() }
        let failures = outcomes.compactMap { outcome -> QUICError? in
            if case .failure(let error) = outcome { return error as? QUICError }
            return nil
        }
        let refused = try await server.metric("quicflow_transport_handshakes_refused_total")
        let peak = try server.residentKiB()
        #expect(refused > 0, "the limit held Initials back")
        #expect(highest.withLock { $0 } <= 8, "never more than 8 handshakes in progress")
        #expect(connections.count >= 8)
        #expect(connections.count + failures.count == 100, "every failure is a QUICError")
        #expect(failures.allSatisfy { $0.code == QUICError.Code.handshakeTimeout })
        #expect(try await server.metric("quicflow_transport_handshakes_in_progress") == 0)
        #expect(try await server.command("device-1", "after the flood") == "ran after the flood")
        #expect(peak - baseline < 64 * 1024, "RSS grew \(peak - baseline) KiB")
        print("handshake flood: 100 at once from one address, limit 8: \(connections.count) in, \(failures.count) timed out, \(Int(refused)) Initials held back, at most \(Int(highest.withLock { $0 })) in progress; RSS \(baseline) -> \(peak) KiB")
        for connection in connections { await connection.close() }
        for endpoint in endpoints { await endpoint.close() }
        await device.disconnect()
    }
}
