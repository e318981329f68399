public import Logging
import Foundation
import QuicFlowJSON

/// The daemons' log lines on standard error, message first:
///
/// - text: `2026-11-28T23:51:14.123Z notice quicflow.agent: connected server=10.0.0.1:8474`
///   (values with blanks or quotes are quoted, newlines escaped, so one
///   event is always one line);
/// - json: one object per line, `{"time", "level", "logger", "message",`
///   then the metadata as string fields}, for journald and log shippers.
public struct LogLineHandler: LogHandler {
    /// How lines are written.
    public enum Format: String, Sendable, CaseIterable {
        /// Human-readable, one line per event.
        case text
        /// One JSON object per line.
        case json
    }

    /// The names `--log-format` takes.
    public static let formatNames = Format.allCases.map(\.rawValue)

    private let label: String
    private let format: Format
    /// Where the lines go; standard error unless a test says otherwise.
    private let write: @Sendable (String) -> Void

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// A handler writing `format` lines for `label` to standard error.
    public init(label: String, format: Format, level: Logger.Level) {
        self.init(label: label, format: format, level: level) { line in
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// A handler writing to `write` (tests).
    public init(label: String, format: Format, level: Logger.Level, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let own = event.metadata { fields.merge(own) { $1 } }
        let time = JSONTime.string(from: Date())
        switch format {
        case .text:
            var line = "\(time) \(event.level) \(label): \(TextLine.escaped(event.message.description))"
            for key in fields.keys.sorted() {
                line += " \(key)=\(TextLine.value("\(fields[key]!)"))"
            }
            write(line + "\n")
        case .json:
            var object: [String: String] = [:]
            for (key, value) in fields { object[key] = "\(value)" }
            // The line's own fields win over metadata of the same name.
            object["time"] = time
            object["level"] = event.level.rawValue
            object["logger"] = label
            object["message"] = event.message.description
            write(JSONOutput.line(object) + "\n")
        }
    }
}
