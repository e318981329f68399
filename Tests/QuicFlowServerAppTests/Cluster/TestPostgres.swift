import Foundation
import Logging
import QuicFlowCluster
import QuicFlowTime
import Synchronization

/// The throwaway PostgreSQL that `scripts/test.sh` starts
/// (`scripts/test-postgres.sh`): its URL is in `QUICFLOW_TEST_POSTGRES_URL`.
/// Each test gets a schema of its own (a database each is slow to create
/// when tests run in parallel), with the cluster's tables.
enum TestPostgres {
    static let variable = "QUICFLOW_TEST_POSTGRES_URL"

    /// The server's URL.
    /// - Throws: when the variable is not set, saying how to start one:
    ///   the cluster tests never skip silently.
    static func serverURL() throws -> ClusterDatabaseURL {
        guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else {
            throw TestPostgresMissing()
        }
        return try ClusterDatabaseURL(parsing: text)
    }

    struct TestPostgresMissing: Error, CustomStringConvertible {
        var description: String {
            "the cluster tests need a PostgreSQL: run them through scripts/test.sh, or start one with `d=$(mktemp -d) && chmod 755 $d && export \(TestPostgres.variable)=$(bash scripts/test-postgres.sh start $d/pg)` (stop it with `bash scripts/test-postgres.sh stop $d/pg`)"
        }
    }

    /// The pools' logger: the pool logs at info each connection it gives up
    /// when a test ends it.
    static var logger: Logger {
        var logger = Logger(label: "test.cluster")
        logger.logLevel = .warning
        return logger
    }

    /// A pool on the server's `postgres` database, running for the whole
    /// test process, that creates the tests' schemas.
    static let admin: Result<ClusterDatabase, any Error> = Result {
        let database = ClusterDatabase(
            url: try serverURL(), password: nil, applicationName: "quicflow-tests", callTimeout: .seconds(30),
            maximumConnections: 4, logger: logger)
        // Unstructured: it serves every test of the process and ends with it.
        Task { await database.run() }
        return database
    }

    /// A new, empty schema.
    static func makeSchema() async throws -> String {
        let name = "qft_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16))"
        try await admin.get().createSchema(name)
        return name
    }

    /// A running pool on a new schema with the cluster's tables; `stop`
    /// ends the pool.
    static func open(nodeID: String = "node-a", callTimeout: Duration = .seconds(20)) async throws -> OpenDatabase {
        let schema = try await makeSchema()
        let database = ClusterDatabase(
            url: try serverURL(), password: nil, applicationName: "quicflow-\(nodeID)", schema: schema,
            callTimeout: callTimeout,
            logger: logger)
        // Unstructured so that a test's synchronous cleanUp can end it.
        let running = Task { await database.run() }
        try await ClusterSchema.migrate(database)
        return OpenDatabase(database: database, running: running)
    }

    struct OpenDatabase: Sendable {
        let database: ClusterDatabase
        let running: Task<Void, Never>

        func stop() { running.cancel() }
    }
}

extension TestPostgres {
    /// How many listening connections node `node` has open.
    static func listeners(of node: String) async throws -> Int {
        try await admin.get().countBackends(applicationName: "quicflow-\(node)/listen")
    }

    /// Kills the listening backends of `node`.
    static func terminateListeners(of node: String) async throws -> Int {
        try await admin.get().terminateBackends(applicationName: "quicflow-\(node)/listen")
    }
}
