import Foundation
import QuicFlowJSON

/// An admin event as one line of text: `TIME EVENT key=value ...`.
public enum EventLine {
    /// The keys printed, in this order, when present.
    static let keys = [
        "client_id", "type", "msg_id", "remote_address", "reason", "in_reply_to", "status", "payload", "result", "error", "node",
    ]

    /// `2026-11-24T22:51:11Z message client_id=device-7 type=event payload="t=21"`.
    public static func render(_ event: AdminEvent) -> String {
        let object = (try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any]) ?? [:]
        var line = ""
        if let time = object["time"] as? String {
            line = time + " "
        }
        line += event.event
        for key in keys {
            guard let value = object[key] else { continue }
            // A multi-line payload stays on its one line, escaped.
            line += " \(key)=" + TextLine.value("\(value)")
        }
        return line + "\n"
    }
}
