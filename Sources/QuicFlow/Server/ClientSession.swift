import Foundation
import NIOCore
import QUICTransport

/// One registered client on the server. Mutable state belongs to the
/// server actor; the session itself only carries immutable facts.
final class ClientSession: Sendable {
    let clientID: String
    let connection: QUICConnection
    let connectedAt: Int64
    /// Unique per registration, for the ``ClientDirectory``'s compare-and-set.
    let id = UUID().uuidString

    init(clientID: String, connection: QUICConnection, connectedAt: Int64) {
        self.clientID = clientID
        self.connection = connection
        self.connectedAt = connectedAt
    }
}
