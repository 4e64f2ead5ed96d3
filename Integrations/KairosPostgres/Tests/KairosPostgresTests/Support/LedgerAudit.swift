/// What the ledger says about a window of slots, computed in SQL over `ledger` and `marks`.
///
/// A slot is `(job_id, due)`. The expected slots are those of `jobs` jobs `j0…` firing every second
/// from `firstFire` (epoch ms), `fires` times each.
struct LedgerAudit: CustomStringConvertible {
    /// Slots expected and not in the ledger.
    var missing: Int
    /// Ledger rows whose slot is not expected (an early, extra or invented fire).
    var unexpected: Int
    /// Rows of a slot that ran more than once, other than as the re-run of a run in flight on a
    /// node that was killed (a `kill` mark for its node after the row was written).
    var duplicates: Int
    /// Re-runs whose idempotency key differs from the slot's first run or whose attempt is not
    /// higher than the previous run's.
    var badReruns: Int
    /// Legitimate re-runs (after a kill).
    var reruns: Int
    /// Examples of the problem rows, for the failure message.
    var examples: String

    var description: String {
        "missing \(missing), unexpected \(unexpected), duplicates \(duplicates), bad re-runs \(badReruns), re-runs \(reruns)\(examples.isEmpty ? "" : "\n" + examples)"
    }

    static func of(_ testbed: ClusterTestbed, jobs: Int, fires: Int, firstFire: Int64) async throws -> LedgerAudit {
        let expected = """
            (SELECT 'j' || j AS job_id, to_timestamp((\(firstFire) + k * 1000)::float8 / 1000) AS due
             FROM generate_series(0, \(jobs - 1)) j, generate_series(0, \(fires - 1)) k)
            """
        let ordered = """
            (SELECT l.*, row_number() OVER (PARTITION BY job_id, due ORDER BY started, id) AS nth,
                    lag(attempt) OVER (PARTITION BY job_id, due ORDER BY started, id) AS previous_attempt,
                    first_value(idempotency_key) OVER (PARTITION BY job_id, due ORDER BY started, id) AS first_key,
                    lead(id) OVER (PARTITION BY job_id, due ORDER BY started, id) AS next_id
             FROM ledger l)
            """
        let killedAfter = "EXISTS (SELECT 1 FROM marks k WHERE k.what = 'kill' AND k.node = o.node AND k.ts > o.started)"
        let missing = try await testbed.count(
            "SELECT count(*) FROM \(expected) e WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.job_id = e.job_id AND l.due = e.due)")
        let unexpected = try await testbed.count(
            "SELECT count(*) FROM ledger l WHERE NOT EXISTS (SELECT 1 FROM \(expected) e WHERE e.job_id = l.job_id AND e.due = l.due)")
        // A row followed by another run of its slot is legitimate only if its node was killed afterwards.
        let duplicates = try await testbed.count(
            "SELECT count(*) FROM \(ordered) o WHERE o.next_id IS NOT NULL AND NOT \(killedAfter)")
        let reruns = try await testbed.count("SELECT count(*) FROM \(ordered) o WHERE o.nth > 1")
        let badReruns = try await testbed.count(
            """
            SELECT count(*) FROM \(ordered) o
            WHERE o.nth > 1 AND (o.idempotency_key IS DISTINCT FROM o.first_key OR o.attempt <= o.previous_attempt)
            """)
        let examples = try await testbed.sql(
            """
            SELECT o.job_id, o.due, o.node, o.started, o.idempotency_key, o.attempt FROM \(ordered) o
            WHERE (o.next_id IS NOT NULL AND NOT \(killedAfter))
               OR (o.nth > 1 AND (o.idempotency_key IS DISTINCT FROM o.first_key OR o.attempt <= o.previous_attempt))
            ORDER BY o.job_id, o.due, o.nth LIMIT 10
            """)
        // What the store says about the slots missing from the ledger.
        let missingExamples =
            missing == 0
            ? ""
            : try await testbed.sql(
                """
                SELECT e.job_id, e.due, s.state, s.attempt, s.owner, s.error FROM \(expected) e
                LEFT JOIN kairos.jobs j ON j.name = e.job_id LEFT JOIN kairos.slots s ON s.job_id = j.id AND s.due = e.due
                WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.job_id = e.job_id AND l.due = e.due)
                ORDER BY e.due, e.job_id LIMIT 10
                """)
        return LedgerAudit(
            missing: missing, unexpected: unexpected, duplicates: duplicates, badReruns: badReruns, reruns: reruns,
            examples: [examples, missingExamples].filter { !$0.isEmpty }.joined(separator: "\nmissing:\n"))
    }
}
