/// Splits a text/event-stream body into events as its bytes arrive
/// (the parts of the format the admin API uses: `id`, `event`, one or more
/// `data` lines, comments).
struct ServerSentEventParser {
    private var pending: [UInt8] = []
    private var id: UInt64 = 0
    private var event = "message"
    private var data: [String] = []

    /// Feeds bytes; returns the events they complete.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [AdminEvent] {
        pending.append(contentsOf: bytes)
        var events: [AdminEvent] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            var line = pending[..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            let text = String(decoding: line, as: UTF8.self)
            pending.removeSubrange(...newline)
            if text.isEmpty {
                if !data.isEmpty {
                    events.append(AdminEvent(id: id, event: event, data: data.joined(separator: "\n")))
                }
                event = "message"
                data = []
                continue
            }
            if text.hasPrefix(":") { continue }
            let (field, value) = Self.split(text)
            switch field {
            case "id": id = UInt64(value) ?? id
            case "event": event = value
            case "data": data.append(value)
            default: break
            }
        }
        return events
    }

    private static func split(_ line: String) -> (String, String) {
        guard let colon = line.firstIndex(of: ":") else { return (line, "") }
        var value = line[line.index(after: colon)...]
        if value.first == " " { value = value.dropFirst() }
        return (String(line[..<colon]), String(value))
    }
}
