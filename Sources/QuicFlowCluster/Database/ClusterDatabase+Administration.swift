import PostgresNIO

extension ClusterDatabase {
    /// Creates a schema for ``schema`` (tests give each test one). `name`
    /// must be a plain identifier.
    package func createSchema(_ name: String) async throws(ClusterError) {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw ClusterError(.invalidConfiguration, "'\(name)' is not a plain schema name (letters, digits, _)")
        }
        try await execute("creating schema \(name)", PostgresQuery(unsafeSQL: "CREATE SCHEMA \(name)"))
    }
}

extension ClusterDatabase {
    /// Records a schema version as applied, as a newer build would (tests).
    package func insertSchemaVersionForTests(_ version: Int) async throws(ClusterError) {
        try await execute("recording schema version \(version)", "INSERT INTO qf_schema (version, applied_at) VALUES (\(version), 0)")
    }
}

extension ClusterDatabase {
    /// How many backends show as `applicationName` (tests that kill them
    /// at chosen points).
    package func countBackends(applicationName: String) async throws(ClusterError) -> Int {
        try await rows("counting backends", """
            SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = \(applicationName)
            """) { try $0.decode(Int.self) }.first ?? 0
    }

    /// Terminates those backends, as `pg_terminate_backend` by an operator
    /// or a crashed backend would; returns how many.
    package func terminateBackends(applicationName: String) async throws(ClusterError) -> Int {
        try await rows("terminating backends", """
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = \(applicationName)
            """) { try $0.decode(Bool.self) }.count { $0 }
    }
}

extension ClusterDatabase {
    /// Runs `body` while this connection holds the expiry sweep's advisory
    /// lock, as a node in the middle of its sweep does (tests).
    package func holdingExpiryLock(_ body: @escaping @Sendable () async throws -> Void) async throws(ClusterError) {
        try await transaction("holding the expiry lock", statements: 1) { connection in
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT \(PostgresMessageRepository.expiryLock)"), logger: self.logger)
            for try await row in rows where try !row.decode(Bool.self) {
                throw ClusterError(.unavailable, "the expiry lock is taken")
            }
            try await body()
        }
    }
}

extension ClusterDatabase {
    /// Deletes the events up to `id`, as the purge does once they are past
    /// the retention (tests).
    package func deleteEventsForTests(through id: Int64) async throws(ClusterError) {
        try await execute("deleting events", "DELETE FROM qf_event WHERE id <= \(id)")
    }
}

extension ClusterDatabase {
    /// Runs `sql` as it is (tests that install fault triggers); never with
    /// text from outside the tests.
    package func executeUnsafeForTests(_ what: String, _ sql: String) async throws(ClusterError) {
        try await execute(what, PostgresQuery(unsafeSQL: sql))
    }

    /// The first column of each row of `sql`, an integer (tests).
    package func integersForTests(_ what: String, _ sql: String) async throws(ClusterError) -> [Int] {
        try await rows(what, PostgresQuery(unsafeSQL: sql)) { try $0.decode(Int.self) }
    }
}

extension ClusterDatabase {
    /// Runs `body` while this connection holds the advisory lock that
    /// serialises the registrations of `clientID`: a node's registration of
    /// it waits meanwhile (tests).
    package func holdingRegistrationLock(
        of clientID: String, _ body: @escaping @Sendable () async throws -> Void
    ) async throws(ClusterError) {
        try await transaction("holding the registration lock of \(clientID)", statements: 1) { connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtext('qf_device_session'), hashtext(\(clientID)))", logger: self.logger)
            try await body()
        }
    }
}
