import ArgumentParser
import Foundation
import QuicFlow
import QuicFlowServerApp

/// `quicflow-server check-config`: what `serve` would refuse, without serving.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check the settings serve would use (same --config file and flags), then exit.",
        discussion: """
            Checks the file and flags, the certificate and key (they parse and match), the client CA, \
            the admin token file, the on-message hook (exists, executable, not writable by others), and \
            that both listen addresses can be bound now. Every problem is reported at once. Run it as the \
            user the server runs as. Exit 0 when serve would start, 78 when not.
            """
    )

    @OptionGroup var options: ServerOptions

    func run() async throws {
        let settings: ServerSettings
        let checked: ServerAppConfiguration
        do throws(ServerAppError) {
            settings = try options.settings()
            checked = try settings.validated()
        } catch {
            FileHandle.standardError.write(Data("quicflow-server: \(error.message)\n".utf8))
            throw ExitCode(78)
        }
        let ports = await ListenPortCheck.problems(for: checked)
        guard ports.isEmpty else {
            let count = ports.count == 1 ? "1 problem" : "\(ports.count) problems"
            let body = ports.map { "  " + $0 }.joined(separator: "\n")
            FileHandle.standardError.write(Data("quicflow-server: the configuration (file and flags) has \(count):\n\(body)\n".utf8))
            throw ExitCode(78)
        }
        let backbone = checked.backbone
        var summary = "ok (QUIC \(backbone.host):\(backbone.port), admin \(checked.admin.host):\(checked.admin.port)"
        summary += settings.onMessage.map { ", on-message \($0)" } ?? ""
        summary += checked.dataDirectory.map { ", data \($0)" } ?? ", no data directory (queued messages are kept in memory)"
        print((options.config.map { "\($0): " } ?? "") + summary + ")")
    }
}
