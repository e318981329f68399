import ArgumentParser
import Foundation
import QuicFlowCtl
import QuicFlowTime

/// `quicflowctl events`.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Follow the server's events: connects, disconnects, messages from clients, queued messages.",
        discussion: """
            When the stream ends (the server stopped or restarted, the network failed) it reconnects with \
            backoff (0.5 s doubling to 10 s) and resumes after the last event it printed (Last-Event-ID): \
            the server replays what it still keeps, or sends a `gap` event saying what was lost. A server \
            that cannot be reached at the start is an error (exit 4). Text lines keep a multi-line payload \
            on one line, escaped.
            """)

    @OptionGroup var options: AdminOptions
    @Option(help: "Stop after this many events.") var count: Int?

    /// The pause between reconnection attempts.
    static let reconnectBackoff = Backoff(initial: .milliseconds(500), maximum: .seconds(10), jitter: 0.2)

    func run() async throws {
        try await CtlFailure.reporting(json: options.json) {
            let client = try options.client()
            let limit = count
            let json = options.json
            var seen = 0
            var lastEventID: UInt64?
            var following = false
            var attempt = 0
            while true {
                var reachedLimit = false
                let reason: String
                do {
                    let reply = try await client.followEvents(after: lastEventID) { event in
                        if event.event == "subscribed" {
                            if !json {
                                CtlFailure.printError(following
                                    ? "resumed\(lastEventID.map { " after event \($0)" } ?? "")"
                                    : "following events; Ctrl-C to stop")
                            }
                            following = true
                            attempt = 0
                            return true
                        }
                        // The greeting and `gap` carry id 0: not a place to resume from.
                        if event.id > 0 { lastEventID = event.id }
                        printOut(json ? event.data + "\n" : EventLine.render(event))
                        seen += 1
                        if let limit, seen >= limit {
                            reachedLimit = true
                            return false
                        }
                        return true
                    }
                    if reachedLimit { return }
                    guard reply.status == 200 else { throw CtlFailure.from(reply) }
                    reason = "the server ended the event stream"
                } catch let error as AdminClientError where following {
                    reason = error.message
                }
                attempt += 1
                let delay = Self.reconnectBackoff.delay(attempt: attempt)
                CtlFailure.printError("\(reason); reconnecting in \(delay.logText)")
                try await Task.sleep(for: delay)
            }
        }
    }
}
