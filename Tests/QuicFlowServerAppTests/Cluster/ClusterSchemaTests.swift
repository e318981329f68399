import Logging
import QuicFlowCluster
import Testing

/// Creating and migrating the cluster's tables.
@Suite("Cluster: schema", .timeLimit(.minutes(1)))
struct ClusterSchemaTests {
    @Test("four nodes starting at once on an empty schema migrate it exactly once; later starts apply nothing")
    func concurrentMigration() async throws {
        let schema = try await TestPostgres.makeSchema()
        let databases = try (0..<4).map { n in
            ClusterDatabase(
                url: try TestPostgres.serverURL(), password: nil, applicationName: "quicflow-m\(n)", schema: schema,
                callTimeout: .seconds(20), logger: TestPostgres.logger)
        }
        let applied = await withTaskGroup(of: [Int].self) { group in
            for database in databases { group.addTask { await database.run() ; return [] } }
            for database in databases { group.addTask { (try? await ClusterSchema.migrate(database)) ?? [-1] } }
            var applied: [Int] = []
            for _ in databases.indices { applied += await group.next() ?? [] }
            group.cancelAll()
            return applied
        }
        #expect(applied == Array(1...ClusterSchema.version), "each version once, none failed")
    }

    @Test("a database migrated by a newer build is refused with what to do")
    func newerSchema() async throws {
        let open = try await TestPostgres.open()
        defer { open.stop() }
        try await open.database.insertSchemaVersionForTests(ClusterSchema.version + 1)
        await #expect {
            try await ClusterSchema.migrate(open.database)
        } throws: { error in
            "\(error)".contains("newer than this quicflow-server knows") && "\(error)".contains("upgrade this node")
        }
    }
}
