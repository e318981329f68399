public import Foundation
import QuicFlowJSON

extension AgentStatus {
    /// The status for people: one fact per line, times in UTC with how long
    /// ago (or how soon) they are.
    public func text(now: Date = Date()) -> String {
        var lines: [String] = []
        func line(_ label: String, _ value: String) {
            lines.append(label.padding(toLength: 15, withPad: " ", startingAt: 0) + value)
        }
        line("agent:", agentRunning ? "running" + (agentPID.map { " (pid \($0))" } ?? "") : "not running")
        var connection = connectionState
        if let connectedSince {
            connection += " since \(Self.format(connectedSince, now: now))"
        }
        line("connection:", connection)
        line("server:", serverAddress)
        line("client id:", clientID)
        if let lastError {
            line("last error:", lastError)
        }
        if let nextRetryAt {
            line("next retry:", "\(Self.format(nextRetryAt, now: now)), after \(reconnectAttempts) failed attempt(s)")
        } else if reconnectAttempts > 0 {
            line("attempts:", "\(reconnectAttempts) failed connection attempt(s)")
        }
        var outbox = "\(pending) pending, \(inFlight) in flight, \(dead) dead (max \(maxMessages))"
        if let oldestPendingAgeSeconds {
            outbox += "; oldest waiting \(Self.span(oldestPendingAgeSeconds))"
        }
        if outboxFullRefusals > 0 {
            outbox += "; \(outboxFullRefusals) refused because it was full"
        }
        line("outbox:", outbox)
        if let mostRetried {
            line(
                "retrying:",
                "\(retrying) message(s) failed at least once; most: \(mostRetried.msgID), \(mostRetried.attempts) attempt(s), next \(Self.format(mostRetried.nextAttemptAt, now: now)), last error: \(mostRetried.lastError.prefix(160).replacingOccurrences(of: "\n", with: " "))")
        }
        line("outbox file:", outboxPath)
        line("last delivery:", lastDeliveryAt.map { Self.format($0, now: now) } ?? "none")
        if handlerBusyRefusals > 0 {
            line("handlers busy:", "\(handlerBusyRefusals) message(s) from the server refused: every handler running and handler_queue full")
        }
        if recentHandlerRuns.isEmpty {
            line("handler runs:", "none")
        } else {
            lines.append("recent handler runs (newest first):")
            for run in recentHandlerRuns {
                var entry = "  \(run.name)  \(run.status)  \(run.durationMilliseconds) ms  \(Self.format(run.finishedAt, now: now))"
                if !run.error.isEmpty {
                    entry += "  \(run.error.prefix(120).replacingOccurrences(of: "\n", with: " "))"
                }
                lines.append(entry)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `2026-11-24 20:01:02 UTC (3s ago)`.
    static func format(_ date: Date, now: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        let delta = date.timeIntervalSince(now)
        let relative = delta >= 0 ? "in \(span(delta))" : "\(span(-delta)) ago"
        return "\(formatter.string(from: date)) (\(relative))"
    }

    /// A time span for people: `850ms`, `12s`, `5m 3s`, `2h 5m`, `3d 4h`.
    public static func span(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1_000).rounded()))ms" }
        let whole = Int(seconds)
        switch whole {
        case ..<60: return "\(whole)s"
        case ..<3_600: return "\(whole / 60)m \(whole % 60)s"
        case ..<86_400: return "\(whole / 3_600)h \(whole % 3_600 / 60)m"
        default: return "\(whole / 86_400)d \(whole % 86_400 / 3_600)h"
        }
    }
}

extension AgentStatus {
    /// The status as `status --json` prints it: pretty-printed, keys
    /// sorted, times in RFC 3339 UTC with milliseconds (``JSONOutput``).
    public func jsonText() throws -> String {
        let encoder = JSONOutput.encoder()
        encoder.outputFormatting.insert(.prettyPrinted)
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// Reads `status --json` output back.
    public static func decode(json: [UInt8]) throws -> AgentStatus {
        try JSONOutput.decoder().decode(AgentStatus.self, from: Data(json))
    }
}
