import Foundation
import Testing

/// PostgreSQL crashes (`pg_ctl stop -m immediate`) and comes back while three nodes run
/// every-second jobs: the nodes reconnect, no slot is lost and none runs twice.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct PostgresRestartTests {
    @Test func aDatabaseCrashMidRunCostsNoSlotAndRunsNoneTwice() async throws {
        let jobs = 50
        let seconds = 20
        try await ClusterTestbed.with("restart") { testbed in
            let firstFire = try await testbed.setupEverySecondJobs(jobs, seconds: seconds, startingIn: 6)
            let nodes = try (1...3).map { try testbed.startNode("n\($0)") }
            try await testbed.waitForNodeStarts(3)
            try await testbed.waitUntil(
                "SELECT EXISTS (SELECT 1 FROM ledger WHERE due >= to_timestamp(\(firstFire + 5000)::float8 / 1000))")
            try await testbed.postgres.restart()
            // Every job finishes once its last slot has run (or failed): a slot lost on the way
            // shows in the audit instead of leaving the test waiting for its ledger row.
            try await testbed.waitUntil("SELECT count(*) = 0 FROM kairos.jobs WHERE status NOT IN ('completed', 'failed')")
            for node in nodes {
                let status = await node.terminate()
                // Before: after the restart a node could need more than its 4.5 s grace to stop
                // (exit 1): run() waited up to a lease (6 s) for runs whose ledger inserts never
                // returned, and then for statements without a time limit.
                #expect(status == 0, "\(node.name) exits cleanly; its log ends:\n\(node.output().suffix(1500))")
            }

            let audit = try await LedgerAudit.of(testbed, jobs: jobs, fires: seconds, firstFire: firstFire)
            #expect(audit.missing == 0 && audit.unexpected == 0 && audit.duplicates == 0 && audit.reruns == 0, "\(audit)")
            if audit.missing > 0 { testbed.printLogs() }
        }
    }
}
