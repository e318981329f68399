import Foundation
import QUICTestSupport
import QuicFlow
import QuicFlowCluster
import QuicFlowServerApp
import Testing

/// The cluster database URL and where its password comes from.
@Suite("Cluster settings")
struct ClusterSettingsTests {
    @Test("postgres://USER@HOST:PORT/DB parses; the port defaults to 5432; postgresql:// is the same")
    func parses() throws {
        let url = try ClusterDatabaseURL(parsing: "postgres://quicflow@db.example:6432/fleet")
        #expect(url == ClusterDatabaseURL(user: "quicflow", host: "db.example", port: 6432, database: "fleet"))
        #expect(try ClusterDatabaseURL(parsing: "postgresql://q@10.0.0.5/fleet").port == 5432)
        #expect(url.description == "postgres://quicflow@db.example:6432/fleet")
    }

    @Test("a bad URL is refused with what is wrong and the shape to use", arguments: [
        ("mysql://u@h/db", "scheme 'mysql'"),
        ("postgres://u:secret@h/db", "carries a password"),
        ("postgres://h/db", "names no user"),
        ("postgres://u@h", "names no database"),
        ("postgres://u@h/db?sslmode=require", "sslmode"),
        ("not a url", "is not a URL"),
    ])
    func refuses(_ text: String, _ expected: String) {
        #expect {
            try ClusterDatabaseURL(parsing: text)
        } throws: { error in
            let message = "\(error)"
            return message.contains(expected) && (message.contains("postgres://USER@HOST") || message.contains("password_file"))
        }
    }

    @Test("the password: the file first, then PGPASSWORD, then .pgpass (matching line, * wildcards, escapes)")
    func password() throws {
        let directory = try TestCertificateAuthority.makeTemporaryDirectory(prefix: "cluster-password")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let url = try ClusterDatabaseURL(parsing: "postgres://quicflow@db:5432/fleet")
        let file = "\(directory)/password"
        try "from-file\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try ClusterPassword.resolve(for: url, file: file, environment: ["PGPASSWORD": "env"]) == "from-file")
        #expect(try ClusterPassword.resolve(for: url, file: nil, environment: ["PGPASSWORD": "env"]) == "env")
        let pgpass = "\(directory)/pgpass"
        try "# comment\nother:5432:fleet:quicflow:no\ndb:*:fleet:quicflow:pa\\:ss\n".write(toFile: pgpass, atomically: true, encoding: .utf8)
        chmod(pgpass, 0o600)
        #expect(try ClusterPassword.resolve(for: url, file: nil, environment: ["PGPASSFILE": pgpass]) == "pa:ss")
        #expect(try ClusterPassword.resolve(for: url, file: nil, environment: ["HOME": directory]) == nil, "no ~/.pgpass: trust")
        chmod(pgpass, 0o644)
        #expect {
            try ClusterPassword.resolve(for: url, file: nil, environment: ["PGPASSFILE": pgpass])
        } throws: { "\($0)".contains("chmod 600") }
        try "".write(toFile: file, atomically: true, encoding: .utf8)
        #expect {
            try ClusterPassword.resolve(for: url, file: file, environment: [:])
        } throws: { "\($0)".contains("is empty") }
    }

    @Test("the tests' PostgreSQL is there (scripts/test.sh starts it); without it they fail and say how to start one")
    func testServerIsThere() throws {
        _ = try TestPostgres.serverURL()
    }
}

/// `[cluster]` in server.conf and its checks.
@Suite("Cluster settings in server.conf")
struct ClusterServerSettingsTests {
    @Test("[cluster] is read and checked into the cluster configuration; the node id is the server id")
    func read() throws {
        let harness = try ServerHarness()
        var settings = try ServerSettings(toml: """
            [cluster]
            database = "postgres://quicflow@127.0.0.1:5433/fleet"
            node_id = "node-7"
            lease = "20s"
            schema = "quicflow"
            """)
        settings.certificateFile = harness.files.certificateFile
        settings.keyFile = harness.files.keyFile
        let configuration = try settings.validated()
        let cluster = try #require(configuration.cluster)
        #expect(cluster.url == ClusterDatabaseURL(user: "quicflow", host: "127.0.0.1", port: 5433, database: "fleet"))
        #expect(cluster.nodeID == "node-7")
        #expect(cluster.lease == .seconds(20))
        #expect(cluster.schema == "quicflow")
        #expect(configuration.backbone.serverID == "node-7")
    }

    @Test("bad combinations are refused, each named by its key", arguments: [
        ("[server]\ndata_dir = \"/var/lib/q\"\n[cluster]\ndatabase = \"postgres://q@h/db\"\nnode_id = \"n\"", "server.data_dir"),
        ("[cluster]\nnode_id = \"n\"", "cluster.node_id: is set but [cluster] database is not"),
        ("[cluster]\ndatabase = \"postgres://q@h/db\"\nnode_id = \"no spaces\"", "cluster.node_id"),
        ("[cluster]\ndatabase = \"postgres://q@h/db\"\nnode_id = \"n\"\nlease = \"1s\"", "cluster.lease"),
        ("[cluster]\ndatabase = \"postgres://q:pw@h/db\"\nnode_id = \"n\"", "cluster.database"),
        ("[cluster]\ndatabase = \"postgres://q@h/db\"\nnode = \"n\"", "node"),
    ])
    func refused(_ toml: String, _ expected: String) throws {
        let harness = try ServerHarness()
        #expect {
            var settings = try ServerSettings(toml: toml)
            settings.certificateFile = harness.files.certificateFile
            settings.keyFile = harness.files.keyFile
            _ = try settings.validated()
        } throws: { "\($0)".contains(expected) }
    }
}
