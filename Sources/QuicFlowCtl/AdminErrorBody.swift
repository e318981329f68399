import Foundation

/// The message of an admin API error answer (Hummingbird's
/// `{"error": {"message": "..."}}`), or the body as text.
public enum AdminErrorBody {
    /// What the server said went wrong.
    public static func message(_ reply: AdminReply) -> String {
        if let object = try? JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any],
            let error = object["error"] as? [String: Any], let message = error["message"] as? String {
            return message
        }
        let text = reply.bodyText.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "HTTP \(reply.status)" : text
    }
}
