import ArgumentParser
import Foundation
import QuicFlowCtl

/// `quicflowctl events`.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Follow the server's events: connects, disconnects, messages from clients, queued messages.")

    @OptionGroup var options: AdminOptions
    @Option(help: "Stop after this many events.") var count: Int?

    func run() async throws {
        try await CtlFailure.reporting(json: options.json) {
            var seen = 0
            let limit = count
            let json = options.json
            let reply = try await options.client().followEvents { event in
                if event.event == "subscribed" {
                    if !json { CtlFailure.printError("following events; Ctrl-C to stop") }
                    return true
                }
                printOut(json ? event.data + "\n" : EventLine.render(event))
                seen += 1
                return limit.map { seen < $0 } ?? true
            }
            guard reply.status == 200 else { throw CtlFailure.from(reply) }
        }
    }
}
