import Foundation
import Testing

/// Nodes whose clocks are five minutes ahead and five minutes behind share every-second jobs with a
/// correct node: the database's clock decides what is due, so nothing fires early (before its due
/// date by the database's clock) and nothing fires twice.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ClockSkewTests {
    @Test func nodesFiveMinutesOffFireNothingEarlyAndNothingTwice() async throws {
        let jobs = 20
        let seconds = 15
        try await ClusterTestbed.with("skew") { testbed in
            // Each run takes 600 ms and a node runs at most 5 at once: a second's 20 slots need 12
            // runs going, more than two nodes can hold, so every node must run some. (With instant
            // runs, the node that materialises a second's slots claims them all in its next pass,
            // and a node can lose all 15 races, as the node 5 minutes ahead once did.)
            let firstFire = try await testbed.setupEverySecondJobs(jobs, seconds: seconds, startingIn: 6, ["--job-sleep", "600"])
            let nodes = [
                try testbed.startNode("ahead", ["--clock-offset", "300", "--max-runs", "5"]),
                try testbed.startNode("behind", ["--clock-offset", "-300", "--max-runs", "5"]),
                try testbed.startNode("exact", ["--max-runs", "5"]),
            ]
            try await testbed.waitForNodeStarts(3)
            try await testbed.waitUntil("SELECT count(DISTINCT (job_id, due)) >= \(jobs * seconds) FROM ledger")
            // A node stopping hands its runs going back, and another would run them again.
            try await testbed.waitUntil("SELECT count(*) = 0 FROM kairos.slots WHERE state IN ('pending', 'running')")
            for node in nodes { #expect(await node.terminate() == 0, "\(node.name) exits cleanly; its log ends:\n\(node.output().suffix(1500))") }

            let audit = try await LedgerAudit.of(testbed, jobs: jobs, fires: seconds, firstFire: firstFire)
            #expect(audit.missing == 0 && audit.unexpected == 0 && audit.duplicates == 0 && audit.reruns == 0, "\(audit)")
            // `recorded` is the database's clock at the ledger insert, the body's first action.
            let early = try await testbed.sql(
                "SELECT job_id, due, node, recorded FROM ledger WHERE recorded < due ORDER BY recorded LIMIT 5")
            #expect(early.isEmpty, "runs recorded before their due date:\n\(early)")
            let perNode = try await testbed.sql("SELECT node, count(*) FROM ledger GROUP BY node ORDER BY node")
            #expect(perNode.split(separator: "\n").count == 3, "every node ran some slots:\n\(perNode)")
        }
    }
}
