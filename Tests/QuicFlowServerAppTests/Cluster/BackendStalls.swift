import Foundation
import QUICTestSupport
import QuicFlowCluster

/// Fault injection inside the tests' PostgreSQL: a statement of an armed
/// node's pool whose text matches an armed pattern sleeps in a trigger
/// until the test kills its backend (`pg_terminate_backend`). That is a
/// backend dying at that very step of a hot path, with its statement on
/// the wire, which postgres-nio 1.33.2 may never answer by itself.
///
/// The triggers are statement-level, on the cluster's tables of one test
/// schema, so they fire for an `UPDATE` that matches no row too; the
/// pattern is a `LIKE` on `current_query()`.
struct BackendStalls {
    let schema: String

    /// Installs the table of armed stalls and the triggers in `schema`,
    /// whose cluster tables must exist (a node has started on it).
    static func install(in schema: String) async throws -> BackendStalls {
        let admin = try TestPostgres.admin.get()
        try await admin.executeUnsafeForTests("creating the stall table", """
            CREATE TABLE \(schema).qf_test_stall (application_name text NOT NULL, pattern text NOT NULL)
            """)
        try await admin.executeUnsafeForTests("creating the stall function", """
            CREATE FUNCTION \(schema).qf_test_stall() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM \(schema).qf_test_stall t
                           WHERE t.application_name = current_setting('application_name')
                             AND current_query() LIKE t.pattern) THEN
                    PERFORM pg_sleep(30);
                END IF;
                RETURN NULL;
            END $$
            """)
        for table in ["qf_message", "qf_device_session", "qf_received", "qf_node", "qf_event"] {
            try await admin.executeUnsafeForTests("creating the stall trigger on \(table)", """
                CREATE TRIGGER qf_test_stall BEFORE INSERT OR UPDATE OR DELETE ON \(schema).\(table)
                FOR EACH STATEMENT EXECUTE FUNCTION \(schema).qf_test_stall()
                """)
        }
        return BackendStalls(schema: schema)
    }

    /// The next statements of `node`'s pool that match `pattern` (`LIKE`,
    /// on the SQL text) stall until ``kill(node:)``.
    func arm(node: String, pattern: String) async throws {
        try await TestPostgres.admin.get().executeUnsafeForTests("arming a stall", """
            INSERT INTO \(schema).qf_test_stall VALUES ('quicflow-\(node)', '\(pattern.replacingOccurrences(of: "'", with: "''"))')
            """)
    }

    /// Waits until a backend of `node`'s pool sleeps in the trigger, then,
    /// in one statement, disarms the node's stalls and kills that backend.
    func kill(node: String) async throws {
        let admin = try TestPostgres.admin.get()
        let application = "quicflow-\(node)"
        try await eventually("a statement of \(application) to stall") {
            try await admin.integersForTests("looking for a stalled backend", """
                SELECT COUNT(*)::int FROM pg_stat_activity
                WHERE application_name = '\(application)' AND wait_event = 'PgSleep'
                """).first == 1
        }
        let killed = try await admin.integersForTests("killing the stalled backend", """
            WITH disarmed AS (DELETE FROM \(schema).qf_test_stall WHERE application_name = '\(application)')
            SELECT pg_terminate_backend(pid)::int FROM pg_stat_activity
            WHERE application_name = '\(application)' AND wait_event = 'PgSleep'
            """)
        guard killed == [1] else { throw StallError(description: "expected to kill one stalled backend of \(application), killed \(killed)") }
    }

    struct StallError: Error, CustomStringConvertible {
        let description: String
    }
}
