import Foundation
import NIOCore
import NIOPosix
import QUICTestSupport
import QUICTransport
import Testing

@testable import QUICTransport

@Suite("Endpoint: version negotiation, Retry, stateless reset, loss")
struct EndpointTests {
    @Test("an unknown QUIC version is answered with version negotiation offering v1")
    func versionNegotiation() async throws {
        let pki = try TestPKI()
        let server = try await EchoServer(configuration: pki.serverConfiguration())
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                        wrappingChannelSynchronously: channel)
                }
            }
        let scid: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let dcid: [UInt8] = [9, 10, 11, 12, 13, 14, 15, 16]
        // A long-header Initial-shaped packet of version 0x1a2a3a4a, padded
        // to the 1,200 bytes a server requires before it answers.
        var packet: [UInt8] = [0xC0, 0x1A, 0x2A, 0x3A, 0x4A, UInt8(dcid.count)] + dcid + [UInt8(scid.count)] + scid
        packet += [UInt8](repeating: 0, count: 1200 - packet.count)
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: server.port)
        let reply = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(AddressedEnvelope(remoteAddress: target, data: ByteBuffer(bytes: packet)))
            var iterator = inbound.makeAsyncIterator()
            return try await iterator.next()
        }
        var data = try #require(reply).data
        let bytes = data.readBytes(length: data.readableBytes)!
        #expect(bytes[0] & 0x80 != 0)
        #expect(Array(bytes[1...4]) == [0, 0, 0, 0], "version 0 marks version negotiation")
        // The reply is addressed to our source connection ID.
        #expect(Int(bytes[5]) == scid.count && Array(bytes[6..<14]) == scid)
        let versionsStart = 6 + scid.count + 1 + dcid.count
        var versions: [UInt32] = []
        for start in stride(from: versionsStart, to: bytes.count - 3, by: 4) {
            var word: UInt32 = 0
            for byte in bytes[start..<start + 4] { word = word << 8 | UInt32(byte) }
            versions.append(word)
        }
        #expect(versions.contains(1))
        #expect(try await server.endpoint.statistics().versionNegotiationsSent == 1)
        await server.close()
    }

    @Test("Retry-based address validation: the handshake succeeds after a Retry")
    func retry() async throws {
        let pki = try TestPKI()
        var configuration = pki.serverConfiguration()
        configuration.requireAddressValidation = true
        let server = try await EchoServer(configuration: configuration)
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let connection = try await client.connect(host: "127.0.0.1", port: server.port, serverName: "localhost")
        #expect(try await exchange(connection, [4, 2]) == [4, 2])
        #expect(try await server.endpoint.statistics().retriesSent >= 1)
        await client.close()
        await server.close()
    }

    @Test("child processes do not inherit the UDP socket, so a port is free again as soon as its endpoint closes")
    func socketNotInherited() async throws {
        let pki = try TestPKI()
        let endpoint = try await QUICEndpoint.server(
            host: "127.0.0.1", port: TestPorts.restartable(), configuration: pki.serverConfiguration())
        let port = try #require(endpoint.localAddress.port)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["30"]
        try child.run()
        defer { child.terminate() }
        let descriptors = "/proc/\(child.processIdentifier)/fd"
        let inherited = try FileManager.default.contentsOfDirectory(atPath: descriptors).compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: descriptors + "/" + $0)
        }
        // The endpoint's socket, found by its port in the kernel's UDP table.
        let hexPort = ":" + String(format: "%04X", port)
        // Read to EOF: a /proc file reports size 0, and a one-shot read stops after a page.
        let table = String(decoding: FileHandle(forReadingAtPath: "/proc/net/udp")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        let socketInodes = table.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count > 9, fields[1].hasSuffix(hexPort) else { return nil }
            return "socket:[\(fields[9])]"
        }
        #expect(!socketInodes.isEmpty, "port \(port) is in /proc/net/udp")
        #expect(Set(inherited).isDisjoint(with: socketInodes), "\(inherited) vs \(socketInodes)")
        await endpoint.close()
        // The child still runs; the port must be free all the same.
        let again = try await QUICEndpoint.server(host: "127.0.0.1", port: port, configuration: pki.serverConfiguration())
        await again.close()
    }

    @Test("a restarted server resets its predecessor's connections statelessly")
    func statelessReset() async throws {
        let pki = try TestPKI()
        var configuration = pki.serverConfiguration()
        configuration.statelessSecret = [UInt8](repeating: 0x5A, count: 32)
        let first = try await EchoServer(port: TestPorts.restartable(), configuration: configuration)
        let port = first.port
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration())
        let connection = try await client.connect(host: "127.0.0.1", port: port, serverName: "localhost")
        #expect(try await exchange(connection, [1]) == [1])

        // The server dies without a word; its successor binds the same port.
        await first.endpoint.closeAbruptly()
        let second = try await QUICEndpoint.server(host: "127.0.0.1", port: port, configuration: configuration)
        // The reset can beat the new stream (a packet the client sent since,
        // an ACK, already drew it) or its FIN: either way it must arrive.
        if let stream = try? await connection.openStream() {
            try? await stream.write(ByteBuffer(string: "anyone there?"), finish: true)
        }
        #expect(await connection.closeReason == .statelessReset)
        #expect(try await second.statistics().statelessResetsSent >= 1)
        await client.close()
        await second.close()
        await first.close()
    }

    @Test("20% datagram loss plus reordering: 200 exchanges complete with correct bytes")
    func lossAndReordering() async throws {
        let pki = try TestPKI()
        var settings = QUICSettings()
        settings.handshakeTimeout = .seconds(60)
        settings.idleTimeout = .seconds(60)
        let server = try await EchoServer(configuration: pki.serverConfiguration(settings: settings))
        let proxy = try await UDPFaultProxy.start(
            upstream: try SocketAddress(ipAddress: "127.0.0.1", port: server.port),
            configuration: .init(lossRate: 0.2, reorderRate: 0.1, seed: 2026),
            group: MultiThreadedEventLoopGroup.singleton)
        let client = try await QUICEndpoint.client(configuration: pki.clientConfiguration(settings: settings))
        let connection = try await client.connect(to: proxy.localAddress, serverName: "localhost")
        let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<10 {
                group.addTask {
                    var bad = 0
                    for i in 0..<20 {
                        let size = 200 + (worker * 20 + i) * 37 % 6000
                        let message = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ worker &+ i) }
                        if try await exchange(connection, message) != message { bad += 1 }
                    }
                    return bad
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(mismatches == 0)
        let stats = proxy.statistics
        #expect(stats.clientToServer.dropped > 0 && stats.serverToClient.dropped > 0, "the proxy really dropped datagrams")
        #expect(stats.clientToServer.reordered + stats.serverToClient.reordered > 0)
        await client.close()
        try await proxy.stop()
        await server.close()
    }
}
