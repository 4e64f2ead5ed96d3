import Foundation
import Kairos
import PostgresNIO

/// Dispatch: claiming due slots in batches, running them, recording their outcomes in batches
/// under the fencing token.
extension PostgresScheduler {
    /// A slot this node claimed.
    package struct ClaimedSlot: Sendable {
        package var key: String
        package var jobID: JobID
        package var due: Date
        package var attempt: Int
        package var token: Int64
        package var function: String
        var name: String
        var arguments: String
        var timeout: Duration?
    }

    /// Claims up to the free capacity (and ``Configuration/claimBatchSize``) of due pending slots
    /// of the functions registered here, in one statement, and starts them.
    ///
    /// - Returns: how many were claimed.
    func claimAndStart() async throws -> Int {
        let names = registeredFunctions
        let limit = min(freeCapacity, configuration.claimBatchSize)
        guard limit > 0, !names.isEmpty, local.withLock({ $0.isRunning }) else { return 0 }
        let claimed = try await claim(limit: limit, functions: names)
        for slot in claimed { start(slot) }
        return claimed.count
    }

    /// Claims due pending slots: `FOR UPDATE SKIP LOCKED` on the slots and their jobs (so nodes
    /// claim disjoint sets, and one job's lanes are handed out by one node at a time), each
    /// given a free lane of its job, an owner, a lease and a new fencing token. The unique index
    /// on running (job, lane) makes a second run in a lane impossible.
    ///
    /// The statement reads only what it claims: the earliest due slots in the order of the
    /// pending index, their job rows by key, the running slots of their jobs by the lane index
    /// (a job with one lane: whether any of its slots runs; with more: the first free lanes, among
    /// no more lanes than it has runs going plus the slots it claims), and updates the slots by
    /// key. ``claimPlan`` holds the planner to that plan.
    ///
    /// The statement runs in an explicit transaction so that it returns only once the claim is
    /// committed: a single statement's rows and CommandComplete arrive before its implicit commit
    /// (at the protocol's Sync), and postgres-nio answers on CommandComplete, so a database crash in
    /// between would let this node run a slot whose claim was lost, and another node run it again
    /// with the same attempt.
    package func claim(limit: Int, functions names: [String]) async throws -> [ClaimedSlot] {
        let leaseSeconds = configuration.leaseDuration.seconds
        let prefix = prefix, nodeID = configuration.nodeID, logger = queryLogger
        let answer = try await transaction { connection in
            _ = try await connection.query(Self.claimPlan, logger: logger).collect()
            return try await connection.query(
                """
                WITH candidates AS (
                    SELECT s.key, s.job_id, s.due, j.lanes, j.name, j.arguments, j.timeout_ms
                    FROM \(unescaped: prefix)slots s JOIN \(unescaped: prefix)jobs j ON j.id = s.job_id
                    WHERE s.state = 'pending' AND s.due <= now() AND s.function = ANY(\(names)) AND (j.status NOT IN ('paused', 'cancelled') OR s.manual)
                    ORDER BY s.due
                    LIMIT \(limit)
                    FOR UPDATE OF s, j SKIP LOCKED
                ), numbered AS (
                    SELECT c.*, row_number() OVER (PARTITION BY c.job_id ORDER BY c.due, c.key) AS n FROM candidates c
                ), laned AS MATERIALIZED (
                    SELECT c.key, c.name, c.arguments, c.timeout_ms, CASE
                        WHEN c.lanes = 1 THEN CASE WHEN c.n = 1 AND (
                            SELECT r.key FROM \(unescaped: prefix)slots r WHERE r.job_id = c.job_id AND r.state = 'running' LIMIT 1) IS NULL
                            THEN 0 END
                        ELSE (
                            SELECT l.lane FROM generate_series(0, least(c.lanes, c.n + (
                                SELECT count(*) FROM \(unescaped: prefix)slots r WHERE r.job_id = c.job_id AND r.state = 'running')::int) - 1
                            ) AS l(lane)
                            WHERE (SELECT r.key FROM \(unescaped: prefix)slots r
                                WHERE r.job_id = c.job_id AND r.state = 'running' AND r.lane = l.lane) IS NULL
                            ORDER BY l.lane OFFSET c.n - 1 LIMIT 1)
                        END AS lane
                    FROM numbered c
                )
                UPDATE \(unescaped: prefix)slots s SET state = 'running', owner = \(nodeID),
                    lease_until = now() + make_interval(secs => \(leaseSeconds)),
                    token = nextval('\(unescaped: prefix)fencing_tokens'), lane = c.lane, started_at = now(), error = NULL
                FROM laned c
                WHERE s.key = c.key AND c.lane IS NOT NULL
                RETURNING s.key, s.job_id, extract(epoch FROM s.due)::float8, s.attempt, s.token, s.function, c.name,
                    c.arguments::text, c.timeout_ms
                """, logger: logger
            ).collect()
        }
        return try answer.map { row in
            let (key, job, due, attempt, token, function, name, arguments, timeout) = try row.decode(
                (String, Int64, Double, Int, Int64, String, String, String, Int64?).self)
            return ClaimedSlot(
                key: key, jobID: JobID(rawValue: UInt64(job)), due: Date(epoch: due), attempt: attempt, token: token,
                function: function, name: name, arguments: arguments, timeout: timeout.map { .milliseconds($0) })
        }
    }

    /// Planner settings for the claim's transaction (`set_config(…, true)`: they end with it):
    /// nested loops over index scans only, no sort but the lane numbering's, no JIT.
    ///
    /// A claim touches a batch of rows, and every plan of that shape reads only them; but the
    /// planner costs plans from statistics, which can be stale and say nothing in a new schema
    /// (before autovacuum's first `ANALYZE`). There it estimates the due pending slots at one or two
    /// rows and picks a bitmap scan of every due slot, joined to its job and sorted by due date:
    /// measured 31,600 buffers and 102 ms per claim of 42 with 20,000 slots pending, against 1,200
    /// and 3 ms with these settings (Benchmarks/README.md, "Issue 13, fourth session"). The costs
    /// that the disabled methods add would also pass JIT's threshold, and compiling the statement
    /// takes seconds.
    static var claimPlan: PostgresQuery {
        """
        SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true),
            set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true),
            set_config('enable_sort', 'off', true), set_config('jit', 'off', true)
        """
    }

    /// Runs a claimed slot in its own task; its outcome is queued for the completion writer.
    private func start(_ slot: ClaimedSlot) {
        let body = functions.withLock { $0[slot.function] }
        local.withLock { $0.active[slot.key] = LocalRuns.Active(jobID: slot.jobID, token: slot.token) }
        let task = Task {
            let outcome = await self.execute(slot, body: body)
            self.local.withLock { $0.finished.append(outcome) }
            self.completionsReady.fire()
        }
        local.withLock { local in
            if local.active[slot.key] != nil { local.active[slot.key]?.task = task }
        }
    }

    private func execute(_ slot: ClaimedSlot, body: JobFunction?) async -> LocalRuns.Finished {
        var finished = LocalRuns.Finished(key: slot.key, token: slot.token, succeeded: false, error: "", timedOut: false)
        guard let body else {
            finished.error = "function '\(slot.function)' is not registered on node \(configuration.nodeID)"
            return finished
        }
        let context = JobContext(jobID: slot.jobID, name: slot.name, dueDate: slot.due, attempt: slot.attempt)
        do {
            let arguments = try JSONText.decode(slot.arguments, column: "arguments")
            if let timeout = slot.timeout {
                try await Self.run(body, context, arguments, timeout: timeout)
            } else {
                try await body(context, arguments)
            }
            finished.succeeded = !Task.isCancelled
            if Task.isCancelled { finished.error = "cancelled" }
        } catch is RunTimedOut {
            finished.timedOut = true
            finished.error = "timed out after \(slot.timeout ?? .zero)"
        } catch is CancellationError {
            finished.error = "cancelled"
        } catch {
            finished.error = String(describing: error)
        }
        return finished
    }

    private struct RunTimedOut: Error {}

    private static func run(_ body: @escaping JobFunction, _ context: JobContext, _ arguments: JSONValue, timeout: Duration) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await body(context, arguments) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw RunTimedOut()
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    // MARK: - Completions

    /// Records finished runs in batches until cancelled, then records the last ones.
    func completionLoop() async {
        while !Task.isCancelled {
            await completionsReady.wait()
            await flushCompletions()
        }
    }

    /// Records the finished runs waiting, in one statement, and frees their capacity. A run
    /// whose slot's token changed (its lease expired and another node took it) is rejected:
    /// logged and counted, never recorded. On a database error the runs wait for the next try.
    func flushCompletions(limit: Duration? = nil) async {
        let batch = local.withLock { local -> [LocalRuns.Finished] in
            defer { local.finished.removeAll(keepingCapacity: true) }
            return local.finished
        }
        guard !batch.isEmpty else { return }
        do {
            let accepted = try await complete(batch, limit: limit)
            let stale = batch.filter { !accepted.contains($0.key) }
            for run in stale {
                logger.warning(
                    "stale completion rejected: slot \(run.key) token \(run.token) is no longer this node's (its lease expired)")
            }
            local.withLock { local in
                local.staleCompletions += stale.count
                for run in batch { local.active[run.key] = nil }
            }
            wake.fire()
        } catch {
            logger.warning("recording \(batch.count) finished runs failed, retrying: \(PostgresSchedulerError(error, configuration: configuration))")
            local.withLock { $0.finished.append(contentsOf: batch) }
            try? await Task.sleep(for: .milliseconds(200))
            completionsReady.fire()
        }
    }

    /// Records finished runs whose token still holds; returns the keys recorded. Updates the
    /// jobs' counters, and completes (or, if one of its last runs failed, fails) a job whose
    /// trigger is exhausted and that has no slot left.
    ///
    /// Two statements. The first locks the runs' job rows in ID order: job rows before slots, in
    /// ID order, is the lock order of completions and rescues, so none of them waits for another
    /// holding what it holds, and neither holds a slot of a job whose row a claim has locked (a
    /// claim skips locked rows, but may wait for the update of a running slot of its job). The
    /// second records the slots and updates each job row once; its snapshot is taken with the job
    /// rows locked, so it sees every slot a materialising node or a claim committed for those
    /// jobs: a job is finished only if no other slot of it waits or runs.
    func complete(_ runs: [LocalRuns.Finished], limit: Duration? = nil) async throws -> Set<String> {
        let keys = runs.map(\.key), tokens = runs.map(\.token)
        let states = runs.map { $0.succeeded ? "succeeded" : "failed" }
        let errors = runs.map(\.error), timedOut = runs.map(\.timedOut)
        let prefix = prefix, logger = queryLogger
        let finishes = Self.jobFinishes(prefix, unless: "EXISTS (SELECT 1 FROM done d WHERE d.key = o.key)")
        let rows = try await transaction(limit: limit) { connection in
            _ = try await connection.query(
                """
                SELECT 1 FROM \(unescaped: prefix)jobs
                WHERE id IN (SELECT job_id FROM \(unescaped: prefix)slots WHERE key = ANY(\(keys)))
                ORDER BY id FOR UPDATE
                """, logger: logger
            ).collect()
            return try await connection.query(
                """
                WITH done AS (
                    UPDATE \(unescaped: prefix)slots s SET state = c.state, finished_at = now(), error = NULLIF(c.error, ''),
                        lease_until = NULL
                    FROM unnest(\(keys)::text[], \(tokens)::int8[], \(states)::text[], \(errors)::text[], \(timedOut)::bool[])
                        AS c(key, token, state, error, timed_out)
                    WHERE s.key = c.key AND s.token = c.token AND s.state = 'running'
                    RETURNING s.key, s.job_id, c.state, c.timed_out
                ), counts AS (
                    SELECT job_id, count(*) AS runs, count(*) FILTER (WHERE state = 'failed') AS failures,
                        count(*) FILTER (WHERE timed_out) AS timeouts
                    FROM done GROUP BY job_id
                ), counted AS (
                    UPDATE \(unescaped: prefix)jobs j SET runs = j.runs + c.runs, failures = j.failures + c.failures,
                        timeouts = j.timeouts + c.timeouts, updated_at = now(),
                        status = CASE WHEN \(unescaped: finishes)
                            THEN CASE WHEN c.failures > 0 THEN 'failed' ELSE 'completed' END ELSE j.status END
                    FROM counts c WHERE j.id = c.job_id
                )
                SELECT key FROM done
                """, logger: logger
            ).collect().map { try $0.decode(String.self) }
        }
        return Set(rows)
    }

    /// The SQL condition under which the job row `j` is finished by the statement that records
    /// its last runs: pending, its trigger exhausted (or its `maxRuns` reached), and no slot of it
    /// pending or running but those the condition `settled` (on the slot row `o`) says the statement
    /// is finishing. Correct only in a statement whose snapshot was taken with the job row locked
    /// (else a slot a materialising node committed since would go unseen).
    static func jobFinishes(_ prefix: String, unless settled: String) -> String {
        """
        j.status = 'pending' AND j.next_due IS NULL
            AND (NOT j.untimed OR (j.max_runs IS NOT NULL AND j.fired >= j.max_runs))
            AND NOT EXISTS (
                SELECT 1 FROM \(prefix)slots o
                WHERE o.job_id = j.id AND o.state IN ('pending', 'running') AND NOT \(settled))
        """
    }

    /// Records one finished run as ``flushCompletions()`` does; `false` if it was rejected (its
    /// token no longer holds, or it was recorded already).
    package func recordCompletion(key: String, token: Int64, succeeded: Bool, error: String = "") async throws -> Bool {
        let run = LocalRuns.Finished(key: key, token: token, succeeded: succeeded, error: error, timedOut: false)
        return try await complete([run]).contains(key)
    }

    /// Completions rejected because their slot's token had changed, since this node was made.
    package var staleCompletionCount: Int { local.withLock { $0.staleCompletions } }
}
