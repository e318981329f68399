import Synchronization

/// The callers waiting for the outcome of their cross-node unicasts, by
/// msg_id. A `done` notice may arrive before its caller starts waiting
/// (registration comes first, so that it is never lost).
final class RouteWaiters: Sendable {
    private enum Waiting {
        case registered
        case done
        case waiting(CheckedContinuation<Void, Never>)
    }

    private let states = Mutex<[String: Waiting]>([:])

    /// Says that a caller will wait for `msgID`.
    func register(_ msgID: String) {
        states.withLock { $0[msgID] = .registered }
    }

    /// The outcome of `msgID` is in the table.
    func complete(_ msgID: String) {
        let continuation = states.withLock { states -> CheckedContinuation<Void, Never>? in
            switch states[msgID] {
            case .registered:
                states[msgID] = .done
                return nil
            case .waiting(let continuation):
                states[msgID] = nil
                return continuation
            case .done, nil:
                return nil
            }
        }
        continuation?.resume()
    }

    /// Returns once `msgID` completes, or ``abandon(_:)`` is called.
    func wait(_ msgID: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = states.withLock { states -> Bool in
                if case .done = states[msgID] {
                    states[msgID] = nil
                    return true
                }
                guard states[msgID] != nil else { return true }
                states[msgID] = .waiting(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Stops waiting for `msgID` (its time ran out).
    func abandon(_ msgID: String) {
        let continuation = states.withLock { states -> CheckedContinuation<Void, Never>? in
            guard case .waiting(let continuation) = states.removeValue(forKey: msgID) else { return nil }
            return continuation
        }
        continuation?.resume()
    }

    /// Every msg_id waited for, to read their rows after a lost connection.
    var pending: [String] { states.withLock { Array($0.keys) } }
}
