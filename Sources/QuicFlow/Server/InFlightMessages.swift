/// The device messages this server is handling right now, by sender and
/// msg_id, with the copies that arrived meanwhile: a repeat of a message
/// still being handled here waits for the first copy's answer instead of
/// being handled again. What survives the handling (and other nodes see)
/// is the ``ReceivedLog``'s; this table is local to one process.
struct InFlightMessages {
    private struct Key: Hashable {
        let sender: String
        let msgID: String
    }

    private var waiters: [Key: [CheckedContinuation<Response, Never>]] = [:]

    /// Claims the message; `false` when it is already in flight here.
    mutating func claim(sender: String, msgID: String) -> Bool {
        let key = Key(sender: sender, msgID: msgID)
        guard waiters[key] == nil else { return false }
        waiters[key] = []
        return true
    }

    /// Adds a copy that waits for the answer of the claimed message.
    mutating func wait(sender: String, msgID: String, _ continuation: CheckedContinuation<Response, Never>) {
        let key = Key(sender: sender, msgID: msgID)
        if waiters[key] != nil {
            waiters[key]?.append(continuation)
        } else {
            continuation.resume(returning: .timeout("the original of this repeated message is no longer in flight; send it again"))
        }
    }

    /// Ends the claim and gives `response` to the copies that waited.
    mutating func finish(sender: String, msgID: String, with response: Response) {
        let waiting = waiters.removeValue(forKey: Key(sender: sender, msgID: msgID)) ?? []
        for continuation in waiting { continuation.resume(returning: response) }
    }

    /// How many messages are in flight.
    var count: Int { waiters.count }

    /// How many copies wait for a message in flight.
    var waitingCopies: Int { waiters.values.reduce(0) { $0 + $1.count } }
}
