/// What ``ClientDirectory/register(_:)`` did: the new entry's epoch and the
/// entry it replaced.
public struct ClientRegistration: Sendable, Hashable {
    /// The epoch the directory gave the registration.
    public var epoch: Int64
    /// The session it superseded, if one was registered (perhaps on another node).
    public var replaced: ClientPresence?

    /// Creates a registration outcome.
    public init(epoch: Int64, replaced: ClientPresence?) {
        self.epoch = epoch
        self.replaced = replaced
    }
}
