import NIOCore
import QUICTransport
import Synchronization
import QUICTestSupport
import Testing

@Suite("Many client endpoints")
struct FanoutTests {
    @Test("200 client endpoints get distinct ports and each receives a server-initiated stream")
    func serverInitiatedFanout() async throws {
        let pki = try TestPKI()
        // Dialling 200 endpoints one by one can take a while on a loaded
        // machine: the first connections must not idle out meanwhile.
        var serverConfiguration = pki.serverConfiguration()
        serverConfiguration.settings.idleTimeout = .seconds(300)
        var clientConfiguration = pki.clientConfiguration()
        clientConfiguration.settings.idleTimeout = .seconds(300)
        let server = try await QUICEndpoint.server(host: "127.0.0.1", port: 0, configuration: serverConfiguration)
        let received = Flags(200)
        var clients: [QUICEndpoint] = []
        var serverSides: [QUICConnection] = []
        var accepted = server.incomingConnections.makeAsyncIterator()
        for i in 0..<200 {
            let client = try await QUICEndpoint.client(configuration: clientConfiguration)
            let connection = try await client.connect(host: "127.0.0.1", port: server.localAddress.port!, serverName: "localhost")
            clients.append(client)
            serverSides.append(try #require(await accepted.next()))
            Task { [received] in
                for await stream in connection.inboundStreams {
                    if let all = try? await stream.readAll(maxBytes: 100), String(buffer: all) == "hello \(i)" {
                        received.set(i)
                    }
                    try? await stream.finish()
                }
            }
        }
        // With SO_REUSEADDR, Linux handed the same ephemeral port to two
        // sockets and one of them stopped receiving: ports must be distinct.
        #expect(Set(clients.map { $0.localAddress.port! }).count == 200)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, connection) in serverSides.enumerated() {
                group.addTask {
                    let stream = try await connection.openStream()
                    try await stream.write(ByteBuffer(string: "hello \(i)"), finish: true)
                }
            }
            try await group.waitForAll()
        }
        try await eventually("every client to receive its stream") { received.count == 200 }
        for client in clients { await client.close() }
        await server.close()
    }
}

final class Flags: Sendable {
    private let values: Mutex<[Bool]>
    init(_ count: Int) { values = Mutex([Bool](repeating: false, count: count)) }
    func set(_ index: Int) { values.withLock { $0[index] = true } }
    var count: Int { values.withLock { $0.filter { $0 }.count } }
}
