import QuicFlow
import Testing

/// The ``ClientDirectory`` contract, run against every implementation.
@Suite("Contract: ClientDirectory", .timeLimit(.minutes(1)))
struct ClientDirectoryContractTests {
    static func presence(_ clientID: String, session: String, at time: Int64 = 1_000) -> ClientPresence {
        ClientPresence(
            clientID: clientID, node: "node-a", sessionID: session, remoteAddress: "127.0.0.1:4000", connectedAt: time,
            lastHeartbeat: time)
    }

    @Test("a registration replaces the client's entry and returns the one it superseded", arguments: ClientDirectoryUnderTest.kinds)
    func registerReplaces(_ kind: StateImplementation) async throws {
        let subject = try await ClientDirectoryUnderTest.make(kind)
        defer { subject.cleanUp() }
        let directory = subject.directory
        #expect(try await directory.register(Self.presence("d", session: "s1")).replaced == nil)
        let previous = try await directory.register(Self.presence("d", session: "s2", at: 2_000)).replaced
        #expect(previous?.sessionID == "s1")
        #expect(try await directory.lookup("d")?.sessionID == "s2")
    }

    @Test("every registration raises the device's epoch, also after a removal; the entry carries it", arguments: ClientDirectoryUnderTest.kinds)
    func epochs(_ kind: StateImplementation) async throws {
        let subject = try await ClientDirectoryUnderTest.make(kind)
        defer { subject.cleanUp() }
        let directory = subject.directory
        let first = try await directory.register(Self.presence("d", session: "s1"))
        #expect(first.epoch == 1)
        #expect(try await directory.register(Self.presence("other", session: "o1")).epoch == 1, "per device")
        let second = try await directory.register(Self.presence("d", session: "s2"))
        #expect(second.epoch == 2)
        #expect(second.replaced?.epoch == 1)
        #expect(try await directory.remove(clientID: "d", sessionID: "s2"))
        let third = try await directory.register(Self.presence("d", session: "s3"))
        #expect(third.epoch == 3, "a removal does not reset the epoch")
        #expect(third.replaced == nil)
        #expect(try await directory.lookup("d")?.epoch == 3)
    }

    @Test("a superseded session can neither refresh nor remove its successor's entry", arguments: ClientDirectoryUnderTest.kinds)
    func compareAndSet(_ kind: StateImplementation) async throws {
        let subject = try await ClientDirectoryUnderTest.make(kind)
        defer { subject.cleanUp() }
        let directory = subject.directory
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

    @Test("all lists every entry by client id", arguments: ClientDirectoryUnderTest.kinds)
    func all(_ kind: StateImplementation) async throws {
        let subject = try await ClientDirectoryUnderTest.make(kind)
        defer { subject.cleanUp() }
        for id in ["c", "a", "b"] { try await subject.directory.register(Self.presence(id, session: id)) }
        #expect(try await subject.directory.all().map(\.clientID) == ["a", "b", "c"])
    }
}
