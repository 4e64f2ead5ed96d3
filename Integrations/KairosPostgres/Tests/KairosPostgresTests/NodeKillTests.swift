import Foundation
import Testing

/// Three real node processes share 200 every-second jobs while one of them is SIGKILLed and
/// restarted every 10 s of schedule time: every slot runs, and a slot runs twice only as the
/// re-run of a run that was in flight on the killed node, with the same idempotency key and a
/// higher attempt.
///
/// The jobs allow overlapping runs and run every misfired slot (`--overlap all --misfire all`):
/// with the defaults (`skip`, `runLatest`), a slot due while the job's previous one is still going,
/// or materialised more than a second late, is dropped as missed *by policy* when this shared
/// 2-core machine falls behind; this test is about slots lost or doubled by kills, not about policy.
///
/// `KAIROS_CLUSTER_TEST_SECONDS` (default 60, the shape) sets how many seconds of slots
/// the jobs have.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct NodeKillTests {
    static let jobs = 200
    static var seconds: Int {
        ProcessInfo.processInfo.environment["KAIROS_CLUSTER_TEST_SECONDS"].flatMap(Int.init) ?? 60
    }

    @Test func everySlotRunsOnceWhileANodeIsKilledAndRestartedEveryTenSeconds() async throws {
        let seconds = Self.seconds
        try await ClusterTestbed.with("kills") { testbed in
            let firstFire = try await testbed.setupEverySecondJobs(Self.jobs, seconds: seconds, startingIn: 10)
            var nodes = try (1...3).map { try testbed.startNode("n\($0).0") }
            try await testbed.waitForNodeStarts(3)

            for round in 1..<max(1, (seconds + 9) / 10) {
                // The schedule has reached second 10·round: some slot of that second has run.
                try await testbed.waitUntil(
                    "SELECT EXISTS (SELECT 1 FROM ledger WHERE due >= to_timestamp(\(firstFire + Int64(round) * 10_000)::float8 / 1000))"
                )
                let index = (round - 1) % nodes.count
                let victim = nodes[index]
                await victim.kill()
                try await testbed.sql(
                    "INSERT INTO marks(what, node, pid) VALUES ('kill', '\(victim.name)', \(victim.pid))")
                nodes[index] = try testbed.startNode("n\(index + 1).\(round)")
            }

            let slots = Self.jobs * seconds
            try await testbed.waitUntil("SELECT count(DISTINCT (job_id, due)) >= \(slots) FROM ledger")
            for node in nodes {
                #expect(await node.terminate() == 0, "\(node.name) exits cleanly on SIGTERM; its log ends:\n\(node.output().suffix(1500))")
            }
            let audit = try await LedgerAudit.of(testbed, jobs: Self.jobs, fires: seconds, firstFire: firstFire)
            #expect(audit.missing == 0 && audit.unexpected == 0 && audit.duplicates == 0 && audit.badReruns == 0, "\(audit)")
            let perNode = try await testbed.sql("SELECT node, count(*) FROM ledger GROUP BY node ORDER BY node")
            print("NodeKillTests: \(slots) slots, \(audit), runs per node:\n\(perNode)")
        }
    }
}
