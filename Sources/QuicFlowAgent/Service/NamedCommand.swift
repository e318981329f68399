import Foundation

/// The Go command manager's envelope for COMMAND payloads (PROTOCOL.md,
/// "Command payload convention"): `{"command_type": "NAME", "payload": ...}`.
struct NamedCommand: Sendable, Hashable {
    let name: String
    /// What the handler reads on stdin: the inner payload's JSON text, or
    /// the string itself when it is a JSON string.
    let payload: [UInt8]

    init?(_ bytes: [UInt8]) {
        guard bytes.first == UInt8(ascii: "{"),
            let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let name = object["command_type"] as? String, !name.isEmpty
        else { return nil }
        self.name = name
        switch object["payload"] {
        case nil, is NSNull:
            payload = []
        case let text as String:
            payload = Array(text.utf8)
        case let value?:
            payload = [UInt8]((try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed])) ?? Data())
        }
    }
}
