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
