import QuicFlowConfigFile
public import Foundation
import QuicFlow
import QuicFlowTime
import QuicFlowHooks

extension AgentStatus {
    /// One finished handler run, as `status` shows it.
    public struct HandlerRun: Sendable, Hashable, Codable {
        /// The command name, or the message type for a type's handler.
        public var name: String
        /// `success`, `failure` or `timeout`.
        public var status: String
        /// How long the run took, in milliseconds.
        public var durationMilliseconds: Int64
        /// When it ended.
        public var finishedAt: Date
        /// The error text for failures and timeouts; empty on success.
        public var error: String

        enum CodingKeys: String, CodingKey {
            case name, status, error
            case durationMilliseconds = "duration_ms"
            case finishedAt = "finished_at"
        }

        init(_ record: HandlerRunRecord) {
            name = record.name
            status = record.status.rawValue
            durationMilliseconds = record.duration.wholeMilliseconds
            finishedAt = Date(timeIntervalSince1970: Double(record.finishedAt) / 1_000)
            error = record.error
        }
    }
}
