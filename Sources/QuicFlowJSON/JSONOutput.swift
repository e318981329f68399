public import Foundation

/// The one JSON encoder of every `--json` output and of the admin API:
/// keys sorted, slashes unescaped, dates as ``JSONTime`` text. Numbers stay
/// JSON numbers: encode them as `Int`/`Double`, never as text.
public enum JSONOutput {
    /// A new encoder with QuicFlow's settings.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(JSONTime.string(from: date))
        }
        return encoder
    }

    /// A decoder that reads what ``encoder()`` writes.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = JSONTime.date(from: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not an RFC 3339 time")
            }
            return date
        }
        return decoder
    }

    /// `value` as one line of JSON (no newline).
    public static func line(_ value: some Encodable) -> String {
        do {
            return String(decoding: try encoder().encode(value), as: UTF8.self)
        } catch {
            return line(JSONErrorObject(error: "cannot encode the output: \(error)", exitStatus: 1))
        }
    }
}
