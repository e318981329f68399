public import Foundation

/// How a cross-node unicast ended, as the calling node learns it.
public enum RoutedOutcome: Sendable, Hashable {
    /// The device acknowledged it: its answer.
    case answered(status: String, result: Data, error: String)
    /// Sent without waiting for an answer (wait_ack false): the device's
    /// node handed it to the device.
    case sent
    /// The holding node had no session with the device any more.
    case notConnected(String)
    /// No outcome in time: the message may have reached the device (it
    /// was taken by its node) or not (`taken == false`: it never left,
    /// and never will).
    case noAnswer(taken: Bool)
}
