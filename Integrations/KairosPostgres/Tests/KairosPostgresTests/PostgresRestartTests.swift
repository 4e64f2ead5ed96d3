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
            try await testbed.waitUntil("SELECT count(DISTINCT (job_id, due)) >= \(jobs * seconds) FROM ledger")
            for node in nodes {
                let status = await node.terminate()
                // Found here: after the restart a node can need more than its 4.5 s grace to stop,
                // so SIGTERM ends in exit 1. Diagnosed (2026-12-07): runs whose ledger insert (the
                // node's own PostgresClient, not the library's) never returned after the crash
                // stayed running, their leases renewed, and run() waits up to a lease (6 s) for
                // the runs going before handing them back. One run left 15 such runs on one node
                // for 5 minutes and 1 slot short in the ledger. In one process, run() returns
                // within 0.1 s after a restart (runs going, a second client): the wait is the
                // documented shutdown wait, the hang is in the ledger's inserts.
                withKnownIssue("a node needs > 4.5 s to stop after a PostgreSQL restart", isIntermittent: true) {
                    #expect(status == 0, "\(node.name) exits cleanly; its log ends:\n\(node.output().suffix(1500))")
                }
            }

            let audit = try await LedgerAudit.of(testbed, jobs: jobs, fires: seconds, firstFire: firstFire)
            #expect(audit.missing == 0 && audit.unexpected == 0 && audit.duplicates == 0 && audit.reruns == 0, "\(audit)")
        }
    }
}
