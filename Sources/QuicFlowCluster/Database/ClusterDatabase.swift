public import Logging
import PostgresNIO
import NIOCore
import QuicFlow
import QuicFlowTime
import Synchronization

/// The node's pool of PostgreSQL connections (postgres-nio's
/// `PostgresClient`), with every call bounded.
///
/// postgres-nio 1.33.2 can leave a query on a connection whose backend died
/// waiting forever, deaf to cancellation (CLUSTER.md, "Verified on this
/// machine"). So each call runs in its own task raced against
/// ``callTimeout``: the caller gets ``ClusterError/Code/unavailable`` in
/// time, whatever the connection does. Nothing runs until ``run()`` runs.
public final class ClusterDatabase: Sendable {
    /// Where it connects.
    public let url: ClusterDatabaseURL
    /// The longest any one call may take before it is reported unavailable.
    public let callTimeout: Duration
    let client: PostgresClient
    let logger: Logger
    private let figures = Mutex(ClusterDatabaseStatistics())

    /// The schema the tables live in; `nil` for PostgreSQL's default (`public`).
    public let schema: String?
    /// How its backends show in `pg_stat_activity`.
    public let applicationName: String
    private let startupParameters: [(String, String)]
    /// Kept for the dedicated listening connection, which the pool does not make.
    private let password: String?

    /// A pool on `url`; `applicationName` shows in `pg_stat_activity`
    /// (`quicflow-NODE`), so an operator can tell the nodes' backends apart.
    /// `schema` puts the tables in a schema of their own (it must exist).
    public init(
        url: ClusterDatabaseURL, password: String?, applicationName: String, schema: String? = nil,
        callTimeout: Duration = .seconds(2), maximumConnections: Int = 20, logger: Logger
    ) {
        self.url = url
        self.schema = schema
        self.password = password
        self.applicationName = applicationName
        let startupParameters = [("application_name", applicationName)] + (schema.map { [("search_path", $0)] } ?? [])
        self.startupParameters = startupParameters
        self.callTimeout = callTimeout
        self.logger = logger
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: password, database: url.database, tls: .disable)
        configuration.options.additionalStartupParameters = startupParameters
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = callTimeout
        // Idle connections are probed often, so that one whose backend died
        // is noticed before a call leases it.
        configuration.options.keepAliveBehavior = .init(frequency: .seconds(5))
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    /// The connection settings for a dedicated connection, whose backend
    /// shows as `APPLICATION/role` (`quicflow-node-1/listen`).
    func connectionConfiguration(role: String) -> PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: password, database: url.database, tls: .disable)
        configuration.options.additionalStartupParameters = [("application_name", "\(applicationName)/\(role)")]
            + startupParameters.filter { $0.0 != "application_name" }
        configuration.options.connectTimeout = TimeAmount.nanoseconds(Int64(callTimeout.wholeMilliseconds) * 1_000_000)
        return configuration
    }

    /// Runs the pool until cancelled.
    public func run() async {
        await client.run()
    }

    /// What the calls did so far.
    public var statistics: ClusterDatabaseStatistics { figures.withLock { $0 } }

    /// Runs `query` and decodes each row with `decode`, within ``callTimeout``.
    /// - Parameter what: Names the call in errors ("registering device-7").
    func rows<T: Sendable>(
        _ what: String, _ query: PostgresQuery, _ decode: @escaping @Sendable (PostgresRow) throws -> T
    ) async throws(ClusterError) -> [T] {
        let client = self.client
        return try await bounded(what, statements: 1) {
            var decoded: [T] = []
            for try await row in try await client.query(query) { decoded.append(try decode(row)) }
            return decoded
        }
    }

    /// Runs `query` for its effect, within ``callTimeout``.
    /// - Returns: how many rows it returned.
    @discardableResult
    func execute(_ what: String, _ query: PostgresQuery) async throws(ClusterError) -> Int {
        try await rows(what, query) { _ in () }.count
    }

    /// Runs `body` in one transaction, within ``callTimeout``.
    /// - Parameter statements: How many statements `body` runs, for the figures.
    func transaction<T: Sendable>(
        _ what: String, statements: Int, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws(ClusterError) -> T {
        let client = self.client
        let logger = self.logger
        return try await bounded(what, statements: statements + 2) {
            try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        }
    }

    /// The pause between the attempts of ``retrying(attempts:_:)``.
    static let retryBackoff = Backoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: 0.2)

    /// Runs `call`, and again after a short pause when PostgreSQL was
    /// unavailable for it (a killed backend, a timeout), `attempts` times in
    /// all. Only for calls whose second run does no harm when the first one
    /// committed after all.
    @discardableResult
    func retrying<T: Sendable>(
        attempts: Int = 3, _ call: () async throws(ClusterError) -> T
    ) async throws(ClusterError) -> T {
        var attempt = 0
        while true {
            do {
                return try await call()
            } catch {
                attempt += 1
                guard error.code == .unavailable, attempt < attempts, !Task.isCancelled else { throw error }
                try? await Task.sleep(for: Self.retryBackoff.delay(attempt: attempt - 1))
            }
        }
    }

    /// Races `operation` against ``callTimeout`` and keeps the figures.
    private func bounded<T: Sendable>(
        _ what: String, statements: Int, _ operation: @escaping @Sendable () async throws -> T
    ) async throws(ClusterError) -> T {
        let started = ContinuousClock.now
        let outcome = await Race.withTimeout(callTimeout) { () async -> Result<T, any Error> in
            do { return .success(try await operation()) } catch { return .failure(error) }
        }
        let elapsed = ContinuousClock.now - started
        switch outcome {
        case .success(let value)?:
            figures.withLock {
                $0.statements += statements
                $0.latencySum += Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                $0.latencyCount += 1
            }
            return value
        case .failure(let error)?:
            figures.withLock {
                $0.statements += statements
                $0.errors += 1
            }
            throw Self.describe(error, what: what)
        case nil:
            figures.withLock {
                $0.errors += 1
                $0.timeouts += 1
            }
            throw ClusterError(.unavailable, "PostgreSQL did not answer \(what) within \(callTimeout.logText); the node keeps trying, and calls that need the database fail until it answers")
        }
    }

    /// A PostgreSQL error as a ``ClusterError``: its server message when
    /// there is one (postgres-nio's own description is generic).
    static func describe(_ error: any Error, what: String) -> ClusterError {
        if let error = error as? ClusterError { return error }
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return ClusterError(.unavailable, "PostgreSQL refused \(what): \(message)\(state)")
            }
            return ClusterError(.unavailable, "PostgreSQL failed \(what): \(error.code)")
        }
        return ClusterError(.unavailable, "PostgreSQL failed \(what): \(String(reflecting: error))")
    }

    /// Whether `error` is PostgreSQL's unique-key violation.
    static func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }
}
