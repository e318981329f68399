import Foundation
import Logging
import QUICTestSupport
import QuicFlow
@testable import QuicFlowServerApp
import QuicFlowTime
import Testing

/// The forwarder's sweep on injected clocks: the retention purge runs at
/// once and then hourly (a minute in memory), not on every sweep.
@Suite("Forwarder sweep on a manual clock", .timeLimit(.minutes(1)))
struct ForwarderSweepTests {
    @Test("finished messages past the 7-day retention leave at the first sweep and then once an hour, not every second")
    func hourlyRetentionPurge() async throws {
        let directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "forwarder-sweep")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let wall = ManualWallClock()
        let clock = ManualClock()
        let messages = SQLiteMessageRepository(try ServerDatabase(directory: directory), wallClock: wall.clock)
        let harness = try ServerHarness()
        // Never started: the sweep only asks it who is connected.
        let server = BackboneServer(configuration: try ServerConfiguration(
            certificateFile: harness.files.certificateFile, keyFile: harness.files.keyFile))
        let forwarder = MessageForwarder(
            server: server, messages: messages, events: EventHub(), receivedWindow: .seconds(600),
            retryBackoff: ServerAppConfiguration.defaultDeliveryBackoff, logger: Logger(label: "test"),
            wallClock: wall.clock, clock: ElapsedClock(clock))
        func finished(_ id: String) -> StoredMessage {
            let now = wall.clock.unixSeconds()
            return StoredMessage(
                msgID: id, clientID: "d", type: "command", payload: Data(), timeoutMilliseconds: 1_000, state: .delivered,
                createdAt: now, expiresAt: nil, updatedAt: now)
        }
        try await messages.insert(finished("old-1"))
        wall.advance(by: MessageForwarder.retention + .seconds(1))
        await forwarder.sweep()
        #expect(try await messages.lookup("old-1") == nil, "the first sweep purges")

        try await messages.insert(finished("old-2"))
        wall.advance(by: MessageForwarder.retention + .seconds(1))
        await forwarder.sweep()
        clock.advance(by: .seconds(3_599))
        await forwarder.sweep()
        #expect(try await messages.lookup("old-2") != nil, "not purged again within the hour")
        clock.advance(by: .seconds(1))
        await forwarder.sweep()
        #expect(try await messages.lookup("old-2") == nil, "purged once the hour is over")
    }
}
