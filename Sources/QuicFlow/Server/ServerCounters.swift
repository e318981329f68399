/// Lifetime counters of a server, the raw material of its metrics.
struct ServerCounters: Sendable {
    var totalConnections = 0
    var totalDisconnects = 0
    var messagesSent = 0
    var messagesReceived = 0
    var messagesFailed = 0
    var bytesSent = 0
    var bytesReceived = 0
    var heartbeatsSent = 0
    var heartbeatsReceived = 0
    var heartbeatTimeouts = 0
    var promisesCreated = 0
    var promisesCompleted = 0
    var promiseTimeouts = 0
    var promiseWarnings = 0
    var promiseRefusals = 0
    var broadcastsSent = 0
    var broadcastTargets = 0
    var encodingErrors = 0
    var decodingErrors = 0
    var networkErrors = 0
    var registrationsRefused = 0
    /// Registrations refused because maxClients were connected (code 4).
    var maxClientsRefusals = 0
    /// Connections closed for not registering in time (code 1).
    var registrationTimeouts = 0
    /// Payloads over maxMessageSize: sends refused before they left and
    /// inbound messages answered FAILURE.
    var oversizeOutbound = 0
    var oversizeInbound = 0
    /// Device messages answered again from the received log (repeats).
    var repeatsAnswered = 0
    /// Device messages a previous run left half-done, handled again.
    var redeliveries = 0
}
