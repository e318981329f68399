import ArgumentParser
import Foundation
import QuicFlowCtl

/// Where the admin API is and how to authenticate, shared by every API command.
struct AdminOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Admin API URL (default $QUICFLOW_ADMIN or http://127.0.0.1:8475).", valueName: "url"))
    var admin: String?
    @Option(help: ArgumentHelp("File whose first line is the admin token (default $QUICFLOW_ADMIN_TOKEN_FILE).", valueName: "file"))
    var tokenFile: String?
    @Flag(help: "Print the API's JSON instead of text.")
    var json = false

    /// The client for these options.
    func client() throws(AdminClientError) -> AdminClient {
        let environment = ProcessInfo.processInfo.environment
        let url = admin ?? environment["QUICFLOW_ADMIN"] ?? "http://127.0.0.1:8475"
        let file = tokenFile ?? environment["QUICFLOW_ADMIN_TOKEN_FILE"]
        let token = try file.map { (path: String) throws(AdminClientError) in try AdminToken.read(file: path) }
        return try AdminClient(url: url, token: token)
    }
}
