import Foundation
import Kairos
import KairosPostgres
import Testing

/// A node that cannot use the database stops at once with a message that says why, and changes
/// nothing: an unreachable server, a database that does not exist, an unusable URL, a schema
/// migrated by a newer version of KairosPostgres.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct NodeStartFailureTests {
    @Test func badConnectionSettingsStopTheNodeWithAClearError() async throws {
        try await ClusterTestbed.with("settings") { testbed in
            let closedPort = try TemporaryPostgres.freePort()
            let cases: [(url: String, message: String)] = [
                ("postgres://postgres@127.0.0.1:\(closedPort)/settings", "cannot reach PostgreSQL at 127.0.0.1:\(closedPort)"),
                (testbed.postgres.url(database: "nonexistent"), "database 'nonexistent' does not exist"),
                ("mysql://127.0.0.1/settings", "invalid PostgreSQL URL"),
            ]
            for (index, (url, message)) in cases.enumerated() {
                let node = try testbed.startNode("bad\(index)", ["--url", url])
                let status = await node.waitForExit()
                #expect(status == 1, "\(url): exit status")
                #expect(node.output().contains(message), "\(url): \(node.output())")
            }
        }
    }

    @Test func aSchemaMigratedByANewerVersionIsRefusedAndLeftAsItIs() async throws {
        try await ClusterTestbed.with("newer") { testbed in
            let admin = try PostgresScheduler(configuration: try .init(url: testbed.url))
            try await admin.migrate()
            try await admin.schedule(key: "kept", name: "kept", function: "ledger", trigger: try CronTrigger("0 3 * * *"))
            let version = try await testbed.count("SELECT version FROM kairos.schema_version")
            try await testbed.sql("UPDATE kairos.schema_version SET version = \(version + 1)")
            let before = try await testbed.sql("SELECT * FROM kairos.jobs")

            let node = try testbed.startNode("old-code")
            #expect(await node.waitForExit() == 1)
            #expect(
                node.output().contains("schema is at version \(version + 1), newer than the \(version)"), "\(node.output())")
            #expect(try await testbed.count("SELECT version FROM kairos.schema_version") == version + 1)
            #expect(try await testbed.sql("SELECT * FROM kairos.jobs") == before)
            #expect(try await testbed.count("SELECT count(*) FROM marks") == 0, "the node never started")
        }
    }
}
