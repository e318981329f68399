import QuicFlow
import Testing

/// The ``ClientDirectory`` contract, run against every implementation.
@Suite("Contract: ClientDirectory")
struct ClientDirectoryContractTests {
    static func makeDirectories() -> [any ClientDirectory] { [InMemoryClientDirectory()] }

    static func presence(_ clientID: String, session: String, at time: Int64 = 1_000) -> ClientPresence {
        ClientPresence(
            clientID: clientID, node: "node-a", sessionID: session, remoteAddress: "127.0.0.1:4000", connectedAt: time,
            lastHeartbeat: time)
    }

    @Test("a registration replaces the client's entry and returns the one it superseded")
    func registerReplaces() async throws {
        for directory in Self.makeDirectories() {
            #expect(try await directory.register(Self.presence("d", session: "s1")) == nil)
            let previous = try await directory.register(Self.presence("d", session: "s2", at: 2_000))
            #expect(previous?.sessionID == "s1")
            #expect(try await directory.lookup("d")?.sessionID == "s2")
        }
    }

    @Test("a superseded session can neither refresh nor remove its successor's entry")
    func compareAndSet() async throws {
        for directory in Self.makeDirectories() {
            try await directory.register(Self.presence("d", session: "old"))
            try await directory.register(Self.presence("d", session: "new"))
            #expect(try await directory.heartbeat(clientID: "d", sessionID: "old", at: 9_000) == false)
            #expect(try await directory.remove(clientID: "d", sessionID: "old") == false)
            #expect(try await directory.lookup("d")?.lastHeartbeat == 1_000)
            #expect(try await directory.heartbeat(clientID: "d", sessionID: "new", at: 9_000))
            #expect(try await directory.lookup("d")?.lastHeartbeat == 9_000)
            #expect(try await directory.remove(clientID: "d", sessionID: "new"))
            #expect(try await directory.lookup("d") == nil)
            #expect(try await directory.heartbeat(clientID: "d", sessionID: "new", at: 10_000) == false)
        }
    }

    @Test("all lists every entry by client id")
    func all() async throws {
        for directory in Self.makeDirectories() {
            for id in ["c", "a", "b"] { try await directory.register(Self.presence(id, session: id)) }
            #expect(try await directory.all().map(\.clientID) == ["a", "b", "c"])
        }
    }
}
