public import QuicFlow

/// One message waiting in the ``Outbox``: what to send, and how delivery has
/// gone so far.
public struct OutboxMessage: Sendable, Hashable, Identifiable {
    /// Where a message is in its delivery.
    public enum State: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// Waiting to be sent (again) once ``OutboxMessage/nextAttemptAt`` has passed.
        case pending
        /// Claimed by ``Outbox/nextBatch(limit:now:)`` and being sent.
        case inFlight = "in_flight"
        /// Given up on (too old or too many attempts); kept until retried or purged.
        case dead

        /// The name stored in the database.
        public var description: String { rawValue }
    }

    /// The row id; ascending ids are the delivery order.
    public let id: Int64
    /// The 128-bit random hex id sent on the wire. It never changes, so the
    /// server's de-duplication window turns retries into exactly-once handling.
    public let msgID: String
    /// What the message is for.
    public let type: MessageType
    /// The bytes to send.
    public let payload: [UInt8]
    /// Where the message is in its delivery.
    public let state: State
    /// How many times it has been claimed for sending.
    public let attempts: Int
    /// When it was enqueued, in Unix milliseconds.
    public let createdAt: Int64
    /// When it was last claimed for sending, in Unix milliseconds.
    public let lastAttemptAt: Int64?
    /// Why the last attempt failed, or why it is dead.
    public let lastError: String?
    /// The earliest time of the next attempt, in Unix milliseconds.
    public let nextAttemptAt: Int64
    /// The backbone's answer to the last attempt when it answered without
    /// taking the message (FAILURE or TIMEOUT); `nil` when the attempt got
    /// no answer at all (a lost connection, no ACK in time) or none failed.
    public let lastStatus: Response.Status?

    /// Creates a message as the outbox stores it (for tests of delivery code).
    public init(
        id: Int64,
        msgID: String,
        type: MessageType,
        payload: [UInt8],
        state: State,
        attempts: Int,
        createdAt: Int64,
        lastAttemptAt: Int64?,
        lastError: String?,
        nextAttemptAt: Int64,
        lastStatus: Response.Status? = nil
    ) {
        self.id = id
        self.msgID = msgID
        self.type = type
        self.payload = payload
        self.state = state
        self.attempts = attempts
        self.createdAt = createdAt
        self.lastAttemptAt = lastAttemptAt
        self.lastError = lastError
        self.nextAttemptAt = nextAttemptAt
        self.lastStatus = lastStatus
    }

    /// The payload decoded as UTF-8.
    public var text: String { String(decoding: payload, as: UTF8.self) }

    /// A fresh random 128-bit id as 32 lower-case hex digits.
    static func randomID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
