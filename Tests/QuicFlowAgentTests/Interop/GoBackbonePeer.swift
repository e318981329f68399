import Foundation
import QUICTestSupport
import Synchronization
import Testing

/// `GoPeer/go_backbone.py`: a backbone server on aioquic that behaves as the
/// Go QuicFlow original was measured to (PROTOCOL.md, "How the Go original
/// really behaves"): COMMAND streams left open until the ACK is read,
/// wait_ack DATA answered with DATA/RESPONSE or with nothing, QSSH streams,
/// PING-only liveness, duplicate ids refused with code 1.
///
/// Driven by JSON lines on its stdin; everything it sees comes back as
/// JSON event lines, kept here in arrival order.
final class GoBackbonePeer: Sendable {
    /// One event line: its name, the peer's monotonic time, the rest of its fields as text.
    struct Event: Sendable, CustomStringConvertible {
        let name: String
        let time: Double
        let fields: [String: String]

        subscript(_ key: String) -> String? { fields[key] }
        var description: String { "\(name) @\(time) \(fields)" }
    }

    /// The events so far, shared with the task that reads them.
    private final class Received: Sendable {
        let events = Mutex<[Event]>([])
    }

    let port: Int
    private let peer: PythonPeer
    private let received = Received()
    private let reader: Task<Void, Never>

    private static var script: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("GoPeer/go_backbone.py")
    }

    /// Starts the peer with the server certificate `certificateFile`/`keyFile`.
    init(certificateFile: String, keyFile: String, arguments: [String] = []) async throws {
        let peer = try PythonPeer(script: Self.script, arguments: ["--cert", certificateFile, "--key", keyFile] + arguments)
        let received = self.received
        let (ports, port) = AsyncStream.makeStream(of: Int.self)
        reader = Task {
            for await line in peer.lines() {
                guard let event = Self.parse(line) else { continue }
                received.events.withLock { $0.append(event) }
                if event.name == "listening", let number = event["port"].flatMap(Int.init) { port.yield(number) }
            }
            port.finish()
        }
        var first = ports.makeAsyncIterator()
        guard let listening = await first.next() else {
            peer.stop()
            throw AgentTestFailure("go_backbone.py exited before listening (see its stderr above)")
        }
        self.peer = peer
        self.port = listening
    }

    private static func parse(_ line: String) -> Event? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let name = object["event"] as? String
        else { return nil }
        var fields: [String: String] = [:]
        for (key, value) in object where key != "event" && key != "t" {
            switch value {
            case let text as String: fields[key] = text
            case is NSNull: continue
            case let number as NSNumber: fields[key] = number.stringValue
            default:
                let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
                fields[key] = data.map { String(decoding: $0, as: UTF8.self) } ?? "\(value)"
            }
        }
        return Event(name: name, time: (object["t"] as? NSNumber)?.doubleValue ?? 0, fields: fields)
    }

    /// Every event so far named `name` (about `client`, if given).
    func events(_ name: String, client: String? = nil) -> [Event] {
        received.events.withLock { events in
            events.filter { $0.name == name && (client == nil || $0["client"] == client) }
        }
    }

    /// Every event so far, for failure messages.
    var log: String {
        received.events.withLock { $0.map(\.description).joined(separator: "\n") }
    }

    /// Waits for the first event named `name` that `matches`.
    @discardableResult
    func next(
        _ name: String, timeout: Duration = .seconds(20), matching matches: @escaping @Sendable (Event) -> Bool = { _ in true }
    ) async throws -> Event {
        try await eventually(timeout: timeout, "go_backbone.py to report \(name)") {
            events(name).contains(where: matches)
        }
        return try #require(events(name).first(where: matches))
    }

    /// Sends a COMMAND the Go way (no FIN until the ACK is read).
    func command(client: String, msgID: String, payload: String, timeout: Int = 10) throws {
        try control(["cmd": "command", "client": client, "msg_id": msgID, "payload": payload, "timeout": timeout])
    }

    /// How wait_ack DATA from clients is answered: `response` or `nothing`.
    func answer(_ mode: String) throws {
        try control(["cmd": "answer_mode", "mode": mode])
    }

    /// Opens a QSSH (SSH) stream to `client`.
    func openSSHStream(client: String) throws {
        try control(["cmd": "qssh", "client": client])
    }

    private func control(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try peer.send(line: String(decoding: data, as: UTF8.self))
    }

    /// Ends the peer (it closes its connections with code 0).
    func stop() async {
        peer.stop()
        _ = await peer.exitStatus()
        await reader.value
    }
}
