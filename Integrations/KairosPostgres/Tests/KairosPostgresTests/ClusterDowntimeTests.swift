import Foundation
import Kairos
import KairosPostgres
import Testing

/// The whole cluster was down for ten minutes of schedule time (made virtual: the jobs' next due
/// dates are moved ten minutes back in SQL, as if nothing had materialised them since); when a
/// node comes back, each misfire policy runs exactly the slots it should and counts the others
/// as missed.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ClusterDowntimeTests {
    @Test func afterTenMinutesDownEachMisfirePolicyRunsExactlyItsSlots() async throws {
        try await ClusterTestbed.with("downtime") { testbed in
            let admin = try PostgresScheduler(configuration: try .init(url: testbed.url))
            try await admin.migrate()
            let now = try await testbed.sql("SELECT extract(epoch FROM now())").asSeconds()
            // Fires at now − 570 s, now − 510 s, …, now − 30 s (the ten missed ones), now + 30 s, …:
            // half a minute away from `now` on both sides, so the node's start-up time cannot move a
            // slot across the boundary.
            let start = Date(timeIntervalSince1970: now - 570)
            let trigger = try IntervalTrigger(every: .seconds(60), startingAt: start)
            let missedSlots = Array(0..<10)
            let policies: [(String, MisfirePolicy, runs: [Int])] = [
                ("all", .runAll, missedSlots),
                ("earliest", .runEarliest, [0]),
                ("latest", .runLatest, [9]),
                ("skip", .skip, []),
                // Window of 5 minutes from the node's start (< 30 s after `now`): slots 5…9.
                ("window", MisfirePolicy(catchUpWindow: .seconds(300), mode: .runAll), Array(5..<10)),
            ]
            for (name, policy, _) in policies {
                try await admin.schedule(
                    key: name, name: name, function: "ledger", trigger: trigger, options: JobOptions(misfire: policy))
            }
            try await testbed.sql("UPDATE kairos.jobs SET next_due = next_due - interval '10 minutes'")
            #expect(
                try await testbed.count("SELECT count(*) FROM kairos.jobs WHERE next_due = to_timestamp(\(now - 570))")
                    == policies.count)

            let node = try testbed.startNode("n1")
            // Caught up: every job is past the missed slots and none of them is still to run.
            try await testbed.waitUntil(
                """
                SELECT bool_and(next_due > to_timestamp(\(now))) AND NOT EXISTS (
                  SELECT 1 FROM kairos.slots WHERE state IN ('pending', 'running') AND due < to_timestamp(\(now)))
                FROM kairos.jobs
                """)
            #expect(await node.terminate() == 0)

            for (name, _, runs) in policies {
                let ran = try await testbed.sql(
                    """
                    SELECT coalesce(string_agg(round(extract(epoch FROM due) - \(now - 570))::text, ',' ORDER BY due), '')
                    FROM ledger WHERE job_id = '\(name)' AND due < to_timestamp(\(now))
                    """)
                let expected = runs.map { String($0 * 60) }.joined(separator: ",")
                #expect(ran == expected, "\(name): ran the slots at +\(ran) s, expected +\(expected) s")
                let missed = try await testbed.count("SELECT missed FROM kairos.jobs WHERE key = '\(name)'")
                #expect(missed == missedSlots.count - runs.count, "\(name): missed counter")
            }
        }
    }
}

extension String {
    /// The number of seconds in a psql answer such as `1765118000.123456`.
    fileprivate func asSeconds() throws -> Double {
        guard let value = Double(self) else {
            throw TemporaryPostgres.Failure(description: "not a number of seconds: \(self)")
        }
        return value
    }
}
