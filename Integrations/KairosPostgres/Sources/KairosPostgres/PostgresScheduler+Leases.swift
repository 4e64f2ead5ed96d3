import Foundation
import Kairos
import PostgresNIO

/// Leases: renewing this node's, rescuing expired ones, handing runs back at shutdown, and the
/// housekeeping any node may do (two at once is harmless).
extension PostgresScheduler {
    /// Renews the leases of this node's runs every third of ``Configuration/leaseDuration``, in
    /// one statement, and records the node's heartbeat.
    func heartbeatLoop() async {
        while !Task.isCancelled {
            await sleepIgnoringWakes(for: configuration.leaseDuration / 3)
            if Task.isCancelled { break }
            do {
                try await renewLeases()
            } catch {
                logger.warning("renewing leases failed: \(PostgresSchedulerError(error, configuration: configuration))")
            }
        }
    }

    /// Extends the leases of the runs this node is executing (by their tokens, so a lease this
    /// node lost is not taken back) and records its heartbeat.
    func renewLeases() async throws {
        let tokens = local.withLock { $0.active.values.map(\.token) }
        let leaseSeconds = configuration.leaseDuration.seconds
        if !tokens.isEmpty {
            // A slot locked by a completion being recorded is skipped (its run is over; waiting
            // for it, in whatever order the two statements lock slots, could deadlock them).
            try await rows(
                """
                UPDATE \(unescaped: prefix)slots SET lease_until = now() + make_interval(secs => \(leaseSeconds))
                WHERE key IN (
                    SELECT key FROM \(unescaped: prefix)slots
                    WHERE state = 'running' AND owner = \(configuration.nodeID) AND token = ANY(\(tokens))
                    FOR UPDATE SKIP LOCKED)
                """)
        }
        try await registerNode()
    }

    /// Records this node and its functions in `nodes`, with a fresh heartbeat.
    func registerNode() async throws {
        try await rows(
            """
            INSERT INTO \(unescaped: prefix)nodes (id, functions) VALUES (\(configuration.nodeID), \(registeredFunctions.sorted()))
            ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), functions = EXCLUDED.functions
            """)
    }

    /// Moves running slots whose lease ended (the database's `now()`) back to pending with
    /// attempt + 1 and the same key, or, at ``Configuration/maxAttempts``, to failed (and their job
    /// with them if that was its last slot). Any node may do it; rows another node is rescuing are
    /// skipped.
    ///
    /// Nothing is rescued during the first lease after the database (re)started: leases ran out
    /// while nobody could renew them, and their nodes get a lease to reconnect and renew before
    /// their runs count as lost (else a restart longer than a lease re-ran every run going).
    ///
    /// Like a completion, it locks the job rows first, in ID order, then the slots.
    ///
    /// - Returns: the number of slots rescued or failed.
    @discardableResult
    package func rescueExpiredLeases() async throws -> Int {
        let leaseSeconds = configuration.leaseDuration.seconds
        let maxAttempts = configuration.maxAttempts
        let prefix = prefix, queryLogger = queryLogger
        let finishes = Self.jobFinishes(prefix, unless: "EXISTS (SELECT 1 FROM moved f WHERE f.key = o.key AND f.state = 'failed')")
        let rows = try await transaction { connection in
            let jobs = try await connection.query(
                """
                SELECT id FROM \(unescaped: prefix)jobs
                WHERE id IN (
                    SELECT job_id FROM \(unescaped: prefix)slots
                    WHERE state = 'running' AND lease_until < now()
                        AND pg_postmaster_start_time() < now() - make_interval(secs => \(leaseSeconds)))
                ORDER BY id FOR UPDATE
                """, logger: queryLogger
            ).collect().map { try $0.decode(Int64.self) }
            guard !jobs.isEmpty else { return [(String, String)]() }
            return try await connection.query(
                """
                WITH expired AS (
                    SELECT key FROM \(unescaped: prefix)slots
                    WHERE state = 'running' AND lease_until < now() AND job_id = ANY(\(jobs))
                    ORDER BY lease_until LIMIT 1000 FOR UPDATE SKIP LOCKED
                ), moved AS (
                    UPDATE \(unescaped: prefix)slots s SET
                        state = CASE WHEN s.attempt >= \(maxAttempts) THEN 'failed' ELSE 'pending' END,
                        attempt = CASE WHEN s.attempt >= \(maxAttempts) THEN s.attempt ELSE s.attempt + 1 END,
                        finished_at = CASE WHEN s.attempt >= \(maxAttempts) THEN now() END,
                        error = 'the lease of node ' || coalesce(s.owner, '?') || ' expired on attempt ' || s.attempt,
                        lease_until = NULL, token = NULL, lane = NULL
                    FROM expired e WHERE s.key = e.key
                    RETURNING s.key, s.job_id, s.state
                ), failed AS (
                    UPDATE \(unescaped: prefix)jobs j SET runs = j.runs + m.n, failures = j.failures + m.n,
                        status = CASE WHEN \(unescaped: finishes) THEN 'failed' ELSE j.status END
                    FROM (SELECT job_id, count(*) AS n FROM moved WHERE state = 'failed' GROUP BY job_id) m
                    WHERE j.id = m.job_id
                )
                SELECT key, state FROM moved
                """, logger: queryLogger
            ).collect().map { try $0.decode((String, String).self) }
        }
        for (key, state) in rows {
            logger.notice("rescued slot \(key) from an expired lease: now \(state)")
        }
        if !rows.isEmpty { wake.fire() }
        return rows.count
    }

    /// Deletes finished slots older than ``Configuration/historyRetention`` (in batches; rows
    /// another node is deleting are skipped) and nodes silent for as long.
    ///
    /// - Returns: the number of slots deleted.
    @discardableResult
    package func pruneHistory() async throws -> Int {
        let retention = configuration.historyRetention.seconds
        let answer = try await rows(
            """
            WITH old AS (
                SELECT key FROM \(unescaped: prefix)slots
                WHERE state IN ('succeeded', 'failed', 'missed') AND finished_at < now() - make_interval(secs => \(retention))
                LIMIT 10000 FOR UPDATE SKIP LOCKED
            ), deleted AS (
                DELETE FROM \(unescaped: prefix)slots s USING old WHERE s.key = old.key RETURNING 1
            )
            SELECT count(*)::int8 FROM deleted
            """)
        try await rows("DELETE FROM \(unescaped: prefix)nodes WHERE heartbeat_at < now() - make_interval(secs => \(retention))")
        return Int(try answer.first?.decode(Int64.self) ?? 0)
    }

    /// At the end of ``run()``: waits up to ``Configuration/shutdownGracePeriod`` for the runs
    /// going, records them, then cancels the rest and hands their slots back (pending, attempt + 1)
    /// for other nodes. The statements after the grace period share one second: with the database
    /// gone, the runs not handed back are rescued when their leases expire.
    func shutDown() async {
        let graceEnd = ContinuousClock.now + configuration.shutdownGracePeriod
        let end = graceEnd + .seconds(1)
        /// What is left of the time until `deadline`, at most the usual answer timeout.
        func left(until deadline: ContinuousClock.Instant) -> Duration? {
            let left = deadline - .now
            return left > .zero ? min(left, answerTimeout) : nil
        }
        while local.withLock({ !$0.active.isEmpty }), let limit = left(until: graceEnd) {
            await flushCompletions(limit: limit)
            try? await Task.sleep(for: .milliseconds(10))
        }
        if let limit = left(until: end) { await flushCompletions(limit: limit) }
        let remaining = local.withLock { local -> [LocalRuns.Active] in
            defer { local.active.removeAll() }
            return Array(local.active.values)
        }
        for run in remaining { run.task?.cancel() }
        let tokens = remaining.map(\.token)
        if !tokens.isEmpty {
            do {
                guard let limit = left(until: end) else { throw TimeLimitExceeded(limit: configuration.shutdownGracePeriod) }
                try await rows(
                    """
                    UPDATE \(unescaped: prefix)slots SET state = 'pending', attempt = attempt + 1, lease_until = NULL, token = NULL,
                        lane = NULL, error = 'handed back by node ' || owner || ' at shutdown'
                    WHERE state = 'running' AND owner = \(configuration.nodeID) AND token = ANY(\(tokens))
                    """, limit: limit)
            } catch {
                logger.warning("handing back \(tokens.count) runs failed; their leases will expire: \(error)")
            }
        }
        if let limit = left(until: end) {
            _ = try? await rows("DELETE FROM \(unescaped: prefix)nodes WHERE id = \(configuration.nodeID)", limit: limit)
        }
        local.withLock { $0.finished.removeAll() }
    }

    /// Sleeps on the configured clock without consuming the main loop's wake-ups.
    private func sleepIgnoringWakes(for delay: Duration) async {
        let clock = configuration.clock
        try? await clock.sleep(until: clock.now.date.addingTimeInterval(delay.seconds))
    }

    // MARK: - Listening

    /// Keeps a LISTEN connection on the schema's channel: each notification wakes the main
    /// loop (which re-reads the schedule) and cancels local runs of a cancelled job; every
    /// (re)connection wakes it too (a full resync). While the connection is down, the main loop
    /// polls every ``Configuration/pollInterval``.
    func listenLoop() async {
        while !Task.isCancelled {
            do {
                // No time limit (the connection idles while listening), but cancellation ends the
                // wait even where postgres-nio would not notice it.
                let client = client
                try await withTimeLimit(nil) {
                    try await client.withConnection { connection in
                        try await connection.listen(on: self.channel) { notifications in
                            self.local.withLock { $0.jobsChanged = true }
                            self.wake.fire()
                            for try await notification in notifications {
                                self.handleNotification(notification.payload)
                            }
                        }
                    }
                }
            } catch {
                if Task.isCancelled { break }
                logger.notice("listen connection lost, polling until it is back: \(PostgresSchedulerError(error, configuration: configuration))")
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    /// `kind:jobID`: `cancel` stops this node's runs of the job; every kind wakes the main loop.
    func handleNotification(_ payload: String) {
        let parts = payload.split(separator: ":")
        if parts.count == 2, parts[0] == "cancel", let raw = UInt64(parts[1]) {
            let job = JobID(rawValue: raw)
            let tasks = local.withLock { $0.active.values.filter { $0.jobID == job }.compactMap(\.task) }
            for task in tasks { task.cancel() }
        }
        local.withLock { $0.jobsChanged = true }
        wake.fire()
    }
}
