import ArgumentParser
import Foundation
import QuicFlowConfigFile
import QuicFlowAdminModel
import QuicFlowCtl
import QuicFlowTime

/// `quicflowctl send ID`.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a message to one client and print its result.",
        discussion: """
            Exit status: 0 the device answered SUCCESS (or the message was queued, or sent with --no-wait); \
            1 FAILURE; 2 no answer in time; 3 the client is not connected (unknown or offline); \
            4 the request failed (admin API unreachable, token refused, bad request).
            """
    )

    @OptionGroup var options: AdminOptions
    @Argument(help: "The client id.") var id: String
    @Option(help: "command, query, event or response.") var type = "command"
    @Option(help: "The payload as text.") var payload: String?
    @Option(help: ArgumentHelp("Read the payload from a file (- for standard input).", valueName: "file"))
    var payloadFile: String?
    @Flag(help: "Do not wait for the device's acknowledgement.") var noWait = false
    @Option(help: ArgumentHelp("How long to wait for the acknowledgement.", valueName: "duration")) var timeout = "5s"
    @Flag(help: "Queue the message when the client is offline; it is sent when the client connects.")
    var queueIfOffline = false
    @Option(help: ArgumentHelp("How long a queued message waits (with --queue-if-offline; default 24h).", valueName: "duration"))
    var ttl: String?

    func validate() throws {
        if payload != nil && payloadFile != nil { throw ValidationError("give --payload or --payload-file, not both") }
        if ttl != nil && !queueIfOffline { throw ValidationError("--ttl only applies with --queue-if-offline") }
    }

    func run() async throws {
        try await CtlFailure.reporting(json: options.json) {
            var request = SendRequest(
                type: type, payloadBase64: try payloadBytes().base64EncodedString(), waitAck: !noWait,
                timeoutMilliseconds: try milliseconds(timeout, "--timeout"))
            if queueIfOffline {
                request.queueIfOffline = true
                if let ttl { request.ttlMilliseconds = try milliseconds(ttl, "--ttl") }
            }
            let json = try JSONEncoder().encode(request)
            let reply = try await options.client().request(
                "POST", "/v1/clients/\(PathComponent.escape(id))/messages", body: [UInt8](json))
            if reply.status == 404 && !queueIfOffline {
                throw CtlFailure(.offline, "client \(id) is not connected (unknown or offline); add --queue-if-offline to deliver when it connects")
            }
            guard reply.status == 200 || reply.status == 202 else {
                throw CtlFailure.from(reply, notFound: .offline)
            }
            let answer = try JSONDecoder().decode(MessageReply.self, from: Data(reply.body))
            if options.json {
                printOut(reply.bodyText + "\n")
            } else {
                switch answer.status {
                case "success": FileHandle.standardOutput.write(Data(answer.resultBytes))
                case "queued": printOut("queued \(answer.msgID): \(id) is offline; it gets the message when it connects\n")
                case "sent": printOut("sent \(answer.msgID)\n")
                default:
                    let error = answer.error.map { $0.isEmpty ? "" : ": \($0)" } ?? ""
                    CtlFailure.printError("\(id) answered \(answer.status.uppercased())\(error) (msg_id \(answer.msgID))")
                }
            }
            let status = answer.exitStatus
            if status != .success { throw ExitCode(status.rawValue) }
        }
    }

    private func payloadBytes() throws -> Data {
        if let payload { return Data(payload.utf8) }
        guard let payloadFile else { return Data() }
        if payloadFile == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        guard let data = FileManager.default.contents(atPath: payloadFile) else {
            throw CtlFailure(.requestFailed, "cannot read the payload file \(payloadFile)")
        }
        return data
    }

    private func milliseconds(_ text: String, _ flag: String) throws -> Int {
        do {
            let value = Int(try DurationParser.parse(text).wholeMilliseconds)
            guard value > 0 else { throw CtlFailure(.requestFailed, "\(flag) must be positive, got \(text)") }
            return value
        } catch let error as ConfigurationError {
            throw CtlFailure(.requestFailed, "\(flag): \(error.message)")
        }
    }
}
