/// Which session holds each client id: the registry of connected devices
/// that every node of a backbone can read. The live connections themselves
/// stay with the node that has them (``BackboneServer``'s session table).
///
/// The contract, which every implementation passes
/// (`ClientDirectoryContractTests`):
/// - ``register(_:)`` replaces the entry of the client id in one step and
///   returns the entry it replaced: of two registrations, the later one
///   wins and the earlier session learns it was superseded. It gives the
///   new entry an epoch one above the device's previous registration, even
///   one that was removed since (fencing: a late message about an older
///   epoch is recognised as stale).
/// - ``heartbeat(clientID:sessionID:at:)`` and ``remove(clientID:sessionID:)``
///   act only when the entry still belongs to `sessionID` (compare and set):
///   a superseded session can never refresh or remove its successor.
public protocol ClientDirectory: Sendable {
    /// Records a registration (its `epoch` is the directory's to set).
    @discardableResult
    nonisolated(nonsending) func register(_ presence: ClientPresence) async throws -> ClientRegistration

    /// Records that the session was heard from at `time` (Unix ms).
    /// - Returns: whether the entry belonged to `sessionID`.
    @discardableResult
    nonisolated(nonsending) func heartbeat(clientID: String, sessionID: String, at time: Int64) async throws -> Bool

    /// Removes the entry when it still belongs to `sessionID`.
    /// - Returns: whether it was removed.
    @discardableResult
    nonisolated(nonsending) func remove(clientID: String, sessionID: String) async throws -> Bool

    /// The entry of `clientID`, if connected.
    nonisolated(nonsending) func lookup(_ clientID: String) async throws -> ClientPresence?

    /// Every entry, ordered by client id.
    nonisolated(nonsending) func all() async throws -> [ClientPresence]
}
